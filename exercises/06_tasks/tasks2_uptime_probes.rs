//! An uptime monitor probes every host of the fleet once a minute. A probe is a health request
//! sent with the HTTP client in `Settings`; a host that has not answered "healthy" within
//! `settings.timeout` counts as down. Hosts that hang must not hold up the others, so each
//! host is probed in a task of its own, and all of them wait at the same time.
//!
//! This file does not compile yet: read the compiler's first error, about what the spawned
//! task borrows.
//!
//! Done when: `check_all` probes every host at once, each in a task of its own (it takes as
//! long as the slowest answer or the timeout, not the sum), returns one `Status` per host in the order given, counts a
//! host down when it answers "unhealthy" or not within `settings.timeout` (whatever the
//! timeout), and leaves nothing of its own behind once it returns: no task still running, no
//! copy of the settings; no hosts, no statuses. Leave `probe_one` as it is.

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
    // TODO: what does each task borrow, and from whom?
    let tasks: Vec<_> = hosts
        .iter()
        .map(|host| tokio::spawn(probe_one(settings, host.clone())))
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for task in tasks {
        statuses.push(task.await.expect("a probe task panicked"));
    }
    statuses
}
