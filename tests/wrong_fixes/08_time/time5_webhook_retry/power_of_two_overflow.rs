//! Wrong fix: computes the n-th wait as `first_wait × 2^(n-1)` with a `u32` power, capped
//! afterwards: fine for a few attempts, but the power overflows during a long outage.
// expect fail: the doubled wait outgrew its number type
//! Webhooks to a partner: when an order ships, the shop POSTs an event to the partner's
//! endpoint. Endpoints go down now and then (a deploy, an overloaded database), so a failed
//! delivery is retried. Retrying at once only hammers a server that is already struggling:
//! between attempts the sender backs off, waiting longer after every failure.
//!
//! Done when: after the first failure `deliver` waits `first_wait`, and every later wait is
//! twice the one before but never more than `max_wait` (no jitter here, so schedules are
//! exact on tokio's clock); it stops at the first success; after `attempts` failed attempts
//! it returns the last attempt's error at once, with no wait after it; a long outage (dozens
//! of attempts) keeps waiting `max_wait`; zero waits retry at once; no wait blocks the thread.

use std::future::Future;
use std::time::Duration;

/// How a failed delivery is retried.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The wait after the first failed attempt.
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
    loop {
        match attempt().await {
            Ok(receipt) => return Ok(receipt),
            Err(error) => {
                failed += 1;
                if failed >= policy.attempts {
                    return Err(error);
                }
                let doubled = policy.first_wait * 2u32.pow(failed - 1);
                tokio::time::sleep(doubled.min(policy.max_wait)).await;
            }
        }
    }
}
