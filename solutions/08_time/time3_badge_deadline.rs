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

pub struct Deadline<F> {
    operation: Pin<Box<F>>,
    /// Made once, in `new`: the limit counts from there, and polling the same `Sleep` again
    /// never moves it. Boxed because a `Sleep` must not move once polled, and boxing keeps
    /// `Deadline` itself `Unpin`.
    timer: Pin<Box<Sleep>>,
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        Deadline {
            operation: Box::pin(operation),
            timer: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The operation first, on every poll: it may be the reason the task was woken, and an
        // answer that is there must not be thrown away because the limit passed as well.
        if let Poll::Ready(output) = self.operation.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Polling the timer hands it this poll's waker: tokio wakes the task when the limit
        // passes. When both return `Pending`, each holds the waker, so whichever happens first
        // wakes the task.
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }
}
