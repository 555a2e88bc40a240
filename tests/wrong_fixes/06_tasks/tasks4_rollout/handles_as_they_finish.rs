//! Wrong fix: the handles in a `FuturesUnordered`, which hears from the deploys as they finish; but
//! returning on a failure only drops the handles, and a dropped `JoinHandle` does not stop its
//! task.
// expect fail: was never cancelled
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub server: String,
    pub reason: String,
}

/// Deploys the release to every server at once; stops at the first failure.
pub async fn roll_out<D, F>(servers: Vec<String>, deploy: D) -> Result<Vec<String>, Failure>
where
    D: Fn(String) -> F,
    F: Future<Output = Result<String, Failure>> + Send + 'static,
{
    use futures::StreamExt;
    let mut deploys: futures::stream::FuturesUnordered<_> = servers
        .into_iter()
        .map(|server| tokio::spawn(deploy(server)))
        .collect();
    let mut log = Vec::with_capacity(deploys.len());
    while let Some(joined) = deploys.next().await {
        log.push(joined.expect("a deploy task panicked")?);
    }
    Ok(log)
}
