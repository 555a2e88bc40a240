//! Correct alternative: no tasks: the deploy futures themselves in a `FuturesUnordered`,
//! which polls them all in this task; returning (or being dropped) drops, and so cancels, them.
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
    let mut deploys: futures::stream::FuturesUnordered<F> =
        servers.into_iter().map(deploy).collect();
    let mut log = Vec::new();
    while let Some(finished) = deploys.next().await {
        log.push(finished?);
    }
    Ok(log)
}
