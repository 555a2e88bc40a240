//! Wrong fix: the right runtime, but the report is gathered from a JoinSet as the probes finish (from the stranger's report).
// expect fail: in the order their probes finished
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
    runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for link in links {
            let link = link.to_string();
            let fut = probe(link.clone());
            set.spawn(async move { (link, fut.await) });
        }
        let mut report = Vec::with_capacity(links.len());
        while let Some(res) = set.join_next().await {
            report.push(res.expect("a probe panicked"));
        }
        report
    })
}
