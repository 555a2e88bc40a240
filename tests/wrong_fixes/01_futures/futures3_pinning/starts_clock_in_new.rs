//! Wrong fix: pins the inner future in a box, but starts the clock in `new`, before the
//! future is ever polled.
// expect fail: futures are lazy
//! A stopwatch for futures.
//!
//! `Timed::new(op)` wraps any future `op`. Awaiting the `Timed` runs `op` to completion and
//! hands back its output together with how long it took. The clock starts at the first poll,
//! not in `new`: a future does nothing until somebody polls it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

pub struct Timed<F> {
    inner: Pin<Box<F>>,
    started: Instant,
}

impl<F> Timed<F> {
    pub fn new(inner: F) -> Self {
        Timed {
            inner: Box::pin(inner),
            started: Instant::now(),
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = (F::Output, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, self.started.elapsed())),
            Poll::Pending => Poll::Pending,
        }
    }
}
