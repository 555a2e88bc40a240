//! Correct alternative: the inner future pinned in a Box, so Timed is Unpin
//! A stopwatch for futures.
//!
//! `Timed::new(op)` wraps any future `op`. Awaiting the `Timed` runs `op` to completion and
//! hands back its output together with how long it took. The clock starts at the first poll,
//! not in `new`: a future does nothing until somebody polls it.
//!
//! A wrapper like this must poll the future it wraps, and `Future::poll` only accepts
//! `self: Pin<&mut Self>`. All `Timed::poll` gets is a `Pin<&mut Timed<F>>`: from it, you
//! must reach a `Pin<&mut F>` for the inner future, without ever moving that future.
//!
//! Done when: this compiles, `Timed` works around *any* future (also `async` blocks, which
//! are not `Unpin`), and the grader's checks pass.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

// tokio's `Instant` reads tokio's clock, which a test can pause and move forward at will.
use tokio::time::Instant;

pub struct Timed<F> {
    inner: Pin<Box<F>>,
    started: Option<Instant>,
}

impl<F> Timed<F> {
    pub fn new(inner: F) -> Self {
        Timed {
            inner: Box::pin(inner),
            started: None,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = (F::Output, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started = *self.started.get_or_insert_with(Instant::now);
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, started.elapsed())),
            Poll::Pending => Poll::Pending,
        }
    }
}
