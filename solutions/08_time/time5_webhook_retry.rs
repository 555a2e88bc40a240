//! Webhooks to a partner: when an order ships, the shop POSTs an event to the partner's
//! endpoint. Endpoints go down now and then (a deploy, an overloaded database), so a failed
//! delivery is retried. Retrying at once only hammers a server that is already struggling:
//! between attempts the sender backs off, waiting longer after every failure.

use std::future::Future;
use std::time::Duration;

/// How a failed delivery is retried.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The wait after the first failed attempt (but never more than `max_wait`).
    pub first_wait: Duration,
    /// No wait is longer than this.
    pub max_wait: Duration,
    /// Attempts in all, the first one included (at least 1).
    pub attempts: u32,
}

/// Calls `attempt` until it succeeds or `policy.attempts` attempts have failed, backing off
/// between attempts. Returns the first success, or the error of the last attempt.
pub async fn deliver<T, E, A, F>(policy: Backoff, mut attempt: A) -> Result<T, E>
where
    A: FnMut() -> F,
    F: Future<Output = Result<T, E>>,
{
    let mut failed = 0;
    let mut wait = policy.first_wait.min(policy.max_wait);
    loop {
        match attempt().await {
            Ok(receipt) => return Ok(receipt),
            Err(error) => {
                failed += 1;
                // Checked before waiting: after the last attempt there is nothing to wait for.
                if failed >= policy.attempts {
                    return Err(error);
                }
                // tokio's timer: the task is parked and the thread serves other tasks (and
                // other deliveries) meanwhile; on a paused test clock this costs no real time.
                tokio::time::sleep(wait).await;
                // Doubling a `Duration` cannot overflow here: it stops growing at `max_wait`.
                wait = wait.saturating_mul(2).min(policy.max_wait);
            }
        }
    }
}
