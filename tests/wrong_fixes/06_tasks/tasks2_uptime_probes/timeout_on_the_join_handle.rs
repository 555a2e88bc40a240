//! Wrong fix: spawns the bare health request (it owns everything), and puts the timeout around its
//! `JoinHandle` instead: the statuses are right, but a timed-out handle does not stop its task,
//! so a probe of a hung host runs on forever.
// expect fail: were still in flight
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
        .map(|host| (host.clone(), tokio::spawn((settings.probe)(host.clone()))))
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for (host, task) in tasks {
        let answer = tokio::time::timeout(settings.timeout, task).await;
        statuses.push(Status {
            host,
            up: matches!(answer, Ok(Ok(true))),
        });
    }
    statuses
}
