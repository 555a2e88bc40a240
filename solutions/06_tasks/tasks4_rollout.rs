//! A deploy tool rolls a new release out to every server of a cluster at once, in a `JoinSet`:
//! it hears from the deploys as they finish, and aborts the rest on the first failure.

use std::future::Future;

use tokio::task::JoinSet;

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
    // A `JoinSet` owns its tasks: `join_next` gives whichever finishes next, and dropping the
    // set aborts every task still in it. It lives inside this future, so it is dropped both
    // when this function returns early and when the caller drops the future.
    let mut deploys = JoinSet::new();
    for server in servers {
        deploys.spawn(deploy(server));
    }
    let mut log = Vec::with_capacity(deploys.len());
    while let Some(finished) = deploys.join_next().await {
        match finished.expect("a deploy task panicked") {
            Ok(server) => log.push(server),
            Err(failure) => {
                // Returning drops the set, which aborts the deploys still running; saying it
                // out loud costs nothing.
                deploys.abort_all();
                return Err(failure);
            }
        }
    }
    Ok(log)
}
