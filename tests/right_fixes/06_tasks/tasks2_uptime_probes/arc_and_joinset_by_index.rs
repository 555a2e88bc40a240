//! Correct alternative: one `Arc<Settings>` shared by the tasks of a `JoinSet`, each result put
//! back at its host's index (from the stranger run).
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
    let mut set = tokio::task::JoinSet::new();
    for (i, host) in hosts.iter().cloned().enumerate() {
        let shared = Arc::clone(&shared);
        set.spawn(async move { (i, probe_one(&shared, host).await) });
    }
    drop(shared);
    let mut out: Vec<Option<Status>> = vec![None; hosts.len()];
    while let Some(res) = set.join_next().await {
        let (i, status) = res.expect("a probe task panicked");
        out[i] = Some(status);
    }
    out.into_iter().flatten().collect()
}
