//! Wrong fix: one timer thread, started at the first poll, that sets a shared flag and wakes
//! the waker it took at that poll; later polls never hand it theirs, so a Deadline that has
//! moved to another task wakes the old one when the limit passes (a stale waker).
// expect fail: woke the waker from an earlier poll (stale)
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

pub struct Deadline<F> {
    operation: Pin<Box<F>>,
    limit: Duration,
    expired: Arc<AtomicBool>,
    started: bool,
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        Deadline {
            operation: Box::pin(operation),
            limit,
            expired: Arc::new(AtomicBool::new(false)),
            started: false,
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.operation.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if self.expired.load(Ordering::Acquire) {
            return Poll::Ready(Err(TimedOut));
        }
        if !self.started {
            self.started = true;
            let waker = cx.waker().clone();
            let expired = Arc::clone(&self.expired);
            let limit = self.limit;
            thread::spawn(move || {
                thread::sleep(limit);
                expired.store(true, Ordering::Release);
                waker.wake();
            });
        }
        Poll::Pending
    }
}
