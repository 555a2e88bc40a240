//! Wrong fix: keeps one Sleep, but the first poll only starts it (polls it so it holds the waker) and
//! returns Pending whatever it said: a greeting with no delay is never ready.
// expect fail: with a delay of zero the greeting never became ready
//! A greeting from a slow backend, as a hand-written future.
//!
//! `DelayedGreeting::new("Ada", delay)` is a future that produces "Hello, Ada!" once `delay`
//! has passed (standing in for a backend's latency). Callers store it, pass it around, and
//! `.await` it from their tokio tasks.
//!
//! This version waits by putting the thread to sleep *inside `poll`*. That looks fine with a
//! single future, but `poll` runs on the executor's thread: while it sleeps, no other task on
//! that thread runs and no timer fires. A poll must return promptly. When the value is not
//! ready yet, it returns `Poll::Pending` after arranging for its task to be woken later, and
//! tokio's timer can do the waking: a `tokio::time::Sleep` is itself a future, and polling it
//! hands it `cx`'s waker.
//!
//! Done when: no poll blocks; the greeting is ready exactly `delay` after it was created (on
//! tokio's clock); and its task is woken once, when the delay is over, not over and over.
//! `new` is always called inside a tokio runtime, so it may use `tokio::time`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

pub struct DelayedGreeting {
    name: String,
    // Created once, in `new`: the deadline is fixed then, and every poll checks the same timer
    // (a new `Sleep` per poll would restart the wait). `Sleep` is `!Unpin` (the timer keeps a
    // pointer into it), so it lives pinned in a `Box`; that keeps `DelayedGreeting` itself
    // `Unpin`, so `poll` can reach its fields through `Pin<&mut Self>` without unsafe code.
    timer: Pin<Box<Sleep>>,
    started: bool,
}

impl DelayedGreeting {
    pub fn new(name: &str, delay: Duration) -> Self {
        DelayedGreeting {
            name: name.to_string(),
            timer: Box::pin(tokio::time::sleep(delay)),
            started: false,
        }
    }
}

impl Future for DelayedGreeting {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        // Polling the timer either reports that the deadline has passed, or registers
        // `cx`'s waker with tokio's timer and returns `Pending` at once. In that case we return
        // `Pending` too: the timer will wake our task when the delay is over, and this poll
        // runs again.
        if !self.started {
            // First poll: start the timer (polling it hands it our waker), come back later.
            self.started = true;
            let _ = self.timer.as_mut().poll(cx);
            return Poll::Pending;
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(format!("Hello, {}!", self.name)),
            Poll::Pending => Poll::Pending,
        }
    }
}
