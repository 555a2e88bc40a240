//! Correct alternative: the operation and the `Sleep` stored inline, reached by pin projection
//! The badge reader at an office door. When someone presses "open", the controller waits for a
//! badge tap, but not forever: after `limit` it gives up and the door stays locked.
//! `Deadline::new(operation, limit)` is that wait, written by hand as a future: it resolves to
//! `Ok(output)` if `operation` finishes first, and to `Err(TimedOut)` once `limit` has passed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

pin_project_lite::pin_project! {
    /// No boxes: both fields stay pinned inside the pinned `Deadline`, and `project()` hands
    /// out a `Pin<&mut _>` to each.
    pub struct Deadline<F> {
        #[pin]
        operation: F,
        #[pin]
        timer: Sleep,
    }
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        Deadline {
            operation,
            timer: tokio::time::sleep(limit),
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.operation.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        this.timer.poll(cx).map(|()| Err(TimedOut))
    }
}
