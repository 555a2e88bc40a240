//! Shipping rates at checkout. The shop asks a carrier's API for a quote, but a customer will
//! not stare at a spinner: if the carrier has not answered within the deadline, the page shows
//! "shipping calculated at dispatch" instead. `quote_within` puts that deadline around any
//! call; `sandbox_quote` is the fake carrier used in development, which answers after a given
//! latency.

use std::future::Future;

// `std::thread::sleep` has the same name, but it blocks the thread and returns `()`, which
// cannot be awaited; tokio's `sleep` is a timer future.
use tokio::time::{Duration, sleep, timeout};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteError {
    /// The carrier did not answer within `deadline`.
    TimedOut { deadline: Duration },
}

/// The development carrier: after `latency`, quotes 4.50 plus 1.20 per kilogram (in cents).
pub async fn sandbox_quote(latency: Duration, kilograms: u32) -> u32 {
    sleep(latency).await;
    450 + 120 * kilograms
}

/// Waits for `call` (a carrier's answer) for at most `deadline`.
pub async fn quote_within<F: Future>(deadline: Duration, call: F) -> Result<F::Output, QuoteError> {
    // `timeout` owns the call and polls it first on every poll, so an answer that is there
    // wins even at the deadline itself. When the deadline passes it returns `Err(Elapsed)` and
    // drops the call, which cancels whatever the call was still waiting for.
    timeout(deadline, call)
        .await
        .map_err(|_elapsed| QuoteError::TimedOut { deadline })
}
