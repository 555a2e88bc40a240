//! Wrong fix: sleeps on the blocking pool with spawn_blocking, but waits for it inside poll.
// expect fail: blocked the thread
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

pub struct DelayedGreeting {
    name: String,
    // TODO: keep what arranges the wake-up here instead (a `Sleep` must stay pinned: see
    // `Box::pin`).
    delay: Duration,
}

impl DelayedGreeting {
    pub fn new(name: &str, delay: Duration) -> Self {
        DelayedGreeting {
            name: name.to_string(),
            delay,
        }
    }
}

impl Future for DelayedGreeting {
    type Output = String;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<String> {
        // Sleep on tokio's blocking pool instead of the executor's thread.
        let delay = self.delay;
        let sleeper = tokio::task::spawn_blocking(move || std::thread::sleep(delay));
        futures::executor::block_on(sleeper).unwrap();
        Poll::Ready(format!("Hello, {}!", self.name))
    }
}
