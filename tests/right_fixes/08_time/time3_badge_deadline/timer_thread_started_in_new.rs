//! Correct alternative: a timer thread started in `new`, waking whichever waker the latest poll stored
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

#[derive(Default)]
struct Shared {
    expired: bool,
    waker: Option<Waker>,
}

pub struct Deadline<F> {
    operation: Pin<Box<F>>,
    shared: Arc<Mutex<Shared>>,
}

impl<F: Future> Deadline<F> {
    pub fn new(operation: F, limit: Duration) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let timer_side = Arc::clone(&shared);
        thread::spawn(move || {
            thread::sleep(limit);
            let waker = {
                let mut state = timer_side.lock().unwrap();
                state.expired = true;
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        Deadline {
            operation: Box::pin(operation),
            shared,
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.operation.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let mut state = self.shared.lock().unwrap();
        if state.expired {
            return Poll::Ready(Err(TimedOut));
        }
        match &mut state.waker {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
