//! Wrong fix: the right runtime, but it ends with shutdown_background, so check_links returns before the runtime is down (from the stranger's report).
// expect fail: check_links returned before its runtime had shut down
use std::future::Future;

/// What the operators configure.
#[derive(Clone, Debug)]
pub struct Settings {
    pub name: String,
    pub workers: usize,
}

pub fn check_links<P, F>(settings: &Settings, links: &[&str], probe: P) -> Vec<(String, bool)>
where
    P: Fn(String) -> F,
    F: Future<Output = bool> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.workers)
        .thread_name(format!("{}-worker", settings.name))
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
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
    });
    runtime.shutdown_background();
    report
}
