//! Wrong fix: demands `F: Unpin` so that `Pin::new(&mut self.inner)` compiles.
// expect compile-error: Unpin
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
    inner: F,
    started: Option<Instant>,
}

impl<F> Timed<F> {
    pub fn new(inner: F) -> Self {
        Timed {
            inner,
            started: None,
        }
    }
}

// With `F: Unpin`, `Timed<F>` is `Unpin` as well, so the pin can be ignored... but only for
// futures that do not care about moving, and `async` blocks do.
impl<F: Future + Unpin> Future for Timed<F> {
    type Output = (F::Output, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started = *self.started.get_or_insert_with(Instant::now);
        match Pin::new(&mut self.inner).poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, started.elapsed())),
            Poll::Pending => Poll::Pending,
        }
    }
}
