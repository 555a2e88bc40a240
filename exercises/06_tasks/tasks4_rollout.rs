//! A deploy tool rolls a new release out to every server of a cluster at once. `deploy(server)`
//! uploads the release and restarts the service there; it returns the server's name, or a
//! `Failure` saying why the release did not come up. One failure means the release is bad: the
//! rollout stops right there, and every deploy still under way is cancelled, so that no more
//! servers get the bad release.
//!
//! Right now `roll_out` hears from the servers in the order they are listed, not in the order
//! they finish: a server that fails after a second is noticed only once every server listed
//! before it is done. And when `roll_out` does return early, the deploys it started go on.
//!
//! Done when: with every deploy succeeding, `roll_out` returns `Ok(log)`, the servers in the
//! order their deploys finished, as soon as the last one is done; on the first failure to happen
//! (wherever its server is in the list) it returns that `Err` at once, and every deploy still
//! running is cancelled at that moment; when the caller gives up on `roll_out` (drops its
//! future, after a timeout say), every deploy still running is cancelled too. No servers: an
//! empty log, at once.

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
    let mut deploys = Vec::with_capacity(servers.len());
    for server in servers {
        deploys.push(tokio::spawn(deploy(server)));
    }
    let mut log = Vec::with_capacity(deploys.len());
    // TODO: in which order does this loop hear about the deploys? And on a failure, what
    // becomes of the deploys whose handles are dropped?
    for deploy in deploys {
        let server = deploy.await.expect("a deploy task panicked")?;
        log.push(server);
    }
    Ok(log)
}
