//! Wrong fix: awaits the call, then compares the time it took with the deadline: the customer
//! has already waited the whole time when the "timeout" is reported.
// expect fail: only then looked at the clock
//! Shipping rates at checkout. The shop asks a carrier's API for a quote, but a customer will
//! not stare at a spinner: if the carrier has not answered within the deadline, the page shows
//! "shipping calculated at dispatch" instead. `quote_within` puts that deadline around any
//! call; `sandbox_quote` is the fake carrier used in development, which answers after a given
//! latency.
//!
//! This file does not compile yet: read the compiler's first error.
//!
//! Done when: `sandbox_quote` answers after exactly `latency` of tokio time without blocking;
//! `quote_within` returns the answer as soon as it arrives within the deadline, and
//! `Err(QuoteError::TimedOut { deadline })` at the deadline otherwise (not later, and without
//! panicking); an answer that arrives exactly at the deadline still counts; a zero deadline
//! accepts only an answer that is ready at once; and a call that timed out is cancelled: it
//! does not go on running after `quote_within` has returned.

use std::future::Future;

use tokio::time::{Duration, Instant, sleep};

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
    let started = Instant::now();
    let answer = call.await;
    if started.elapsed() > deadline {
        Err(QuoteError::TimedOut { deadline })
    } else {
        Ok(answer)
    }
}
