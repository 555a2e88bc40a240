//! Correct alternative: the Sleep pinned in place with pin-project-lite, no Box
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

pin_project_lite::pin_project! {
    pub struct DelayedGreeting {
        name: String,
        #[pin]
        timer: tokio::time::Sleep,
    }
}

impl DelayedGreeting {
    pub fn new(name: &str, delay: Duration) -> Self {
        DelayedGreeting {
            name: name.to_string(),
            timer: tokio::time::sleep(delay),
        }
    }
}

impl Future for DelayedGreeting {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = self.project();
        this.timer
            .poll(cx)
            .map(|()| format!("Hello, {}!", this.name))
    }
}
