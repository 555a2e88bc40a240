//! Correct alternative: plain tasks that report over a channel, aborted by a guard of
//! their `AbortHandle`s when `roll_out` returns or is dropped.
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
    struct AbortAll(Vec<tokio::task::AbortHandle>);
    impl Drop for AbortAll {
        fn drop(&mut self) {
            for task in &self.0 {
                task.abort();
            }
        }
    }
    let count = servers.len();
    let (report, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let mut guard = AbortAll(Vec::with_capacity(count));
    for server in servers {
        let report = report.clone();
        let deploying = deploy(server);
        let task = tokio::spawn(async move {
            let _ = report.send(deploying.await);
        });
        guard.0.push(task.abort_handle());
    }
    let mut log = Vec::with_capacity(count);
    while log.len() < count {
        match reports.recv().await {
            Some(finished) => log.push(finished?),
            None => panic!("a deploy task ended without reporting"),
        }
    }
    Ok(log)
}
