//! Wrong fix: a `JoinSet` that hears from the deploys as they finish, but collects every result
//! before it looks for a failure: the bad release goes on reaching servers after the first one
//! failed.
// expect fail: reported it only at
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
    let mut deploys = tokio::task::JoinSet::new();
    for server in servers {
        deploys.spawn(deploy(server));
    }
    let mut finished = Vec::new();
    while let Some(joined) = deploys.join_next().await {
        finished.push(joined.expect("a deploy task panicked"));
    }
    finished.into_iter().collect()
}
