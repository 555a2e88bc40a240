//! Wrong fix: builds the runtime once, for the first call's settings, and keeps it for every call.
// expect fail: its runtime outlived the call

use std::future::Future;

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

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
    // Building a runtime per call is slow: keep the first one for every later call.
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(settings.workers)
            .thread_name(format!("{}-worker", settings.name))
            .enable_all()
            .build()
            .expect("could not build linkcheck's runtime")
    });
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
}
