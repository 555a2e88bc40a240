//! Correct alternative: a timer thread started once, sharing an `expired` flag and the latest waker
//! The badge reader at an office door. When someone presses "open", the controller waits for a
//! badge tap, but not forever: after `limit` it gives up and the door stays locked.
//! `Deadline::new(operation, limit)` is that wait, written by hand as a future: it resolves to
//! `Ok(output)` if `operation` finishes first, and to `Err(TimedOut)` once `limit` has passed.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

/// What the future and its timer thread both see.
#[derive(Default)]
struct Alarm {
    expired: bool,
    waker: Option<Waker>,
}

pub struct Deadline<F> {
    operation: Pin<Box<F>>,
    limit: Duration,
    alarm: Arc<Mutex<Alarm>>,
    thread_started: bool,
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        Deadline {
            operation: Box::pin(operation),
            limit,
            alarm: Arc::new(Mutex::new(Alarm::default())),
            thread_started: false,
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.operation.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        {
            let mut alarm = self.alarm.lock().unwrap();
            if alarm.expired {
                return Poll::Ready(Err(TimedOut));
            }
            // Under the same lock as the check, so the thread cannot fire in between.
            match &mut alarm.waker {
                Some(kept) => kept.clone_from(cx.waker()),
                none => *none = Some(cx.waker().clone()),
            }
        }
        if !self.thread_started {
            self.thread_started = true;
            let alarm = Arc::clone(&self.alarm);
            let limit = self.limit;
            thread::spawn(move || {
                thread::sleep(limit);
                let waker = {
                    let mut alarm = alarm.lock().unwrap();
                    alarm.expired = true;
                    alarm.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}
