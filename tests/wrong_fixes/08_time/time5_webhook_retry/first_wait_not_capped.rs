//! Wrong fix: doubles a running wait with `saturating_mul` and caps it after each doubling,
//! but starts it at `first_wait` uncapped: when `first_wait` is longer than `max_wait`, the
//! first wait is too.
// expect fail: max_wait caps every wait, the first one too
//! Webhooks to a partner: when an order ships, the shop POSTs an event to the partner's
//! endpoint. Endpoints go down now and then (a deploy, an overloaded database), so a failed
//! delivery is retried. Retrying at once only hammers a server that is already struggling:
//! between attempts the sender backs off, waiting longer after every failure.
//!
//! Done when: after the first failure `deliver` waits `first_wait`, and every later wait is
//! twice the one before, but no wait (the first one included) is longer than `max_wait`; no
//! jitter here, so schedules are exact on tokio's clock. It stops at the first success;
//! after `attempts` failed attempts it returns the last attempt's error at once, with no wait
//! after it; a long outage (dozens of attempts) keeps waiting `max_wait`; zero waits retry at
//! once; no wait blocks the thread.

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
    let mut wait = policy.first_wait;
    loop {
        match attempt().await {
            Ok(receipt) => return Ok(receipt),
            Err(error) => {
                failed += 1;
                if failed >= policy.attempts {
                    return Err(error);
                }
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(policy.max_wait);
            }
        }
    }
}
