//! Wrong fix: the worker count from the settings, but the workers keep tokio's default name.
// expect fail: not lnk-a-worker

use std::future::Future;

use tokio::runtime::Builder;

/// What the operators configure.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The tool's name, which its worker threads carry: `<name>-worker`.
    pub name: String,
    /// How many worker threads the runtime may start (at least 1).
    pub workers: usize,
}

/// Probes every link in a task of its own, and reports whether each one is alive, in order.
pub fn check_links<P, F>(settings: &Settings, links: &[&str], probe: P) -> Vec<(String, bool)>
where
    P: Fn(String) -> F,
    F: Future<Output = bool> + Send + 'static,
{
    // `#[tokio::main]` is this builder with fixed choices. Built by hand, a runtime has only
    // what it is asked for: the workers and their names from the settings, and the timer and
    // I/O drivers (`enable_all`) without which `probe`'s timers and sockets panic.
    let runtime = Builder::new_multi_thread()
        .worker_threads(settings.workers)
        .enable_all()
        .build()
        .expect("could not build linkcheck's runtime");
    // `block_on` runs this future on the calling thread; the spawned probes run on the workers.
    runtime.block_on(async {
        let tasks: Vec<_> = links
            .iter()
            .map(|link| tokio::spawn(probe(link.to_string())))
            .collect();
        let mut report = Vec::with_capacity(links.len());
        for (link, task) in links.iter().zip(tasks) {
            let alive = task.await.expect("a probe panicked");
            report.push((link.to_string(), alive));
        }
        report
    })
    // `runtime` is dropped here: it shuts down and waits for its worker threads.
}
