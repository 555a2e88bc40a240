//! Correct alternative: numbered worker names (thread_name_fn), probes spawned through the Runtime value, an explicit shutdown.
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Builder;

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
    let next = Arc::new(AtomicUsize::new(1));
    let name = settings.name.clone();
    let runtime = Builder::new_multi_thread()
        .worker_threads(settings.workers)
        .thread_name_fn(move || {
            let n = next.fetch_add(1, Ordering::Relaxed);
            format!("{name}-worker-{n}")
        })
        .enable_time()
        .enable_io()
        .build()
        .unwrap();
    let tasks: Vec<_> = links
        .iter()
        .map(|link| (link.to_string(), runtime.spawn(probe(link.to_string()))))
        .collect();
    let report = runtime.block_on(async move {
        let mut report = Vec::new();
        for (link, task) in tasks {
            report.push((link, task.await.unwrap()));
        }
        report
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    report
}
