//! Wrong fix: `try_join_all` over the handles stops at the first failure, but hears from the
//! servers in the list's order and detaches the other deploys when it gives up.
// expect fail: not in the order their deploys finished
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
    let deploys = servers.into_iter().map(|server| {
        let task = tokio::spawn(deploy(server));
        async move { task.await.expect("a deploy task panicked") }
    });
    futures::future::try_join_all(deploys).await
}
