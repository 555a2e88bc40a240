//! Wrong fix (found by the stranger run): a `JoinSet` whose tasks each spawn the deploy as a
//! task of its own and await it: aborting the set's tasks leaves the inner deploys running.
// expect fail: aborting a task does not stop the tasks that it spawned
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
    let mut set = tokio::task::JoinSet::new();
    for server in servers {
        let inner = deploy(server);
        set.spawn(async move { tokio::spawn(inner).await.expect("a deploy task panicked") });
    }
    let mut log = Vec::new();
    while let Some(joined) = set.join_next().await {
        log.push(joined.expect("a deploy task panicked")?);
    }
    Ok(log)
}
