//! Wrong fix: gets rid of the borrow error by not spawning at all, and awaits each probe in the
//! loop: one host after another.
// expect fail: ran one after another
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
    let mut statuses = Vec::with_capacity(hosts.len());
    for host in hosts {
        statuses.push(probe_one(settings, host.clone()).await);
    }
    statuses
}
