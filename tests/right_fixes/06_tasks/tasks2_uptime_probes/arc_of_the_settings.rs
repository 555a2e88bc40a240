//! Correct alternative: one `Arc` of the settings shared by the tasks, and the timeout applied
//! inside each task to a request made before spawning.
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
    let shared = Arc::new(settings.clone());
    let tasks: Vec<_> = hosts
        .iter()
        .map(|host| {
            let shared = Arc::clone(&shared);
            let request = (shared.probe)(host.clone());
            let host = host.clone();
            tokio::spawn(async move {
                let answer = tokio::time::timeout(shared.timeout, request).await;
                Status {
                    host,
                    up: answer == Ok(true),
                }
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for task in tasks {
        statuses.push(task.await.expect("a probe task panicked"));
    }
    statuses
}
