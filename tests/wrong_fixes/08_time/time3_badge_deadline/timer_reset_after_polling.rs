//! Wrong fix: keeps one tokio Sleep and polls it, then "re-arms" it to `limit` from now after
//! every Pending poll, so each wake-up of the task (for any reason) pushes the limit away.
// expect fail: its timer was made anew or reset then
//! The badge reader at an office door. When someone presses "open", the controller waits for a
//! badge tap, but not forever: after `limit` it gives up and the door stays locked.
//! `Deadline::new(operation, limit)` is that wait, written by hand as a future: it resolves to
//! `Ok(output)` if `operation` finishes first, and to `Err(TimedOut)` once `limit` has passed.
//!
//! This first attempt starts a helper thread that sleeps for `limit` and then wakes the task.
//! But the thread cannot reach `expired`, a new thread starts at every poll, and the badge
//! reader itself is never polled, so its tap can never get through.
//!
//! Done when: every poll of `Deadline` polls `operation` with the task's context and returns
//! its output as soon as it is there (even if `limit` has passed as well); once `limit` has
//! passed, the task is woken once and gets `Err(TimedOut)`: the task of the latest poll, since
//! a future can move from one task to another between polls (each poll's `cx` has the waker
//! of the task polling it now); a later poll does not restart the limit; no poll blocks the
//! thread or wakes its own task; a zero `limit` still lets an operation that is ready at once
//! win. The timer may be tokio's (`Deadline` is only created inside a tokio runtime) or a
//! thread of your own that shares state with the future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

pub struct Deadline<F> {
    operation: Pin<Box<F>>,
    limit: Duration,
    timer: Pin<Box<Sleep>>,
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        Deadline {
            operation: Box::pin(operation),
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.operation.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // make sure the timer is armed for this wait
        let limit = self.limit;
        self.timer.as_mut().reset(Instant::now() + limit);
        Poll::Pending
    }
}
