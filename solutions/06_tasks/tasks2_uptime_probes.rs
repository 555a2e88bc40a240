//! An uptime monitor probes every host of the fleet once a minute, each host in a task of its
//! own, all at the same time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The HTTP client's health request: `true` if the host answers "healthy". May never answer.
pub type Probe = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

#[derive(Clone)]
pub struct Settings {
    /// How long a host may take to answer before it counts as down.
    pub timeout: Duration,
    pub probe: Probe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub host: String,
    pub up: bool,
}

/// Probes one host: up if it answers "healthy" within the timeout.
pub async fn probe_one(settings: &Settings, host: String) -> Status {
    let answer = tokio::time::timeout(settings.timeout, (settings.probe)(host.clone())).await;
    Status {
        host,
        up: matches!(answer, Ok(true)),
    }
}

/// Probes every host at once, each in a task of its own.
pub async fn check_all(settings: &Settings, hosts: &[String]) -> Vec<Status> {
    let tasks: Vec<_> = hosts
        .iter()
        .map(|host| {
            // `tokio::spawn` needs a future that owns all it uses (`'static`): the task may
            // outlive this call as far as the compiler knows. So each task gets its own copy
            // of the settings (cheap: the client is an `Arc`) and of its host name, and
            // `async move` moves them in. The copy is dropped when the task ends.
            let settings = settings.clone();
            let host = host.clone();
            tokio::spawn(async move { probe_one(&settings, host).await })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for task in tasks {
        statuses.push(task.await.expect("a probe task panicked"));
    }
    statuses
}
