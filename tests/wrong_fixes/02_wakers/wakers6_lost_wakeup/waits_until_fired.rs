//! Wrong fix: never returns Pending: poll sleeps in a loop until the event has fired, which blocks the
//! executor's thread (and no wake-up can be lost when nothing waits).
// expect fail: a poll of WaitFor did not return
//! A checkout waits for the card terminal to approve a payment. The terminal's driver runs on
//! its own thread, so the approval can arrive at any moment, even in the middle of a poll.
//!
//! `WaitFor` waits for any `EventSource`; the `CardTerminal` below is one. Its `poll` looks
//! first and registers its waker second: an event that fires between those two steps finds no
//! waker to wake, and the checkout waits forever. This is the classic *lost wake-up*.
//!
//! Done when: `WaitFor` hears the event whenever it fires (even between two lines of `poll`),
//! resolves at the first poll if the event has already fired, and never wakes itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Something that happens once, and wakes a task when it does.
pub trait EventSource {
    /// Whether the event has fired. Another thread may fire it at any moment.
    fn has_fired(&self) -> bool;
    /// Asks the source to wake `waker` when the event fires; replaces any earlier waker.
    fn register(&self, waker: &Waker);
}

/// A future that resolves once its source has fired.
pub struct WaitFor<S> {
    source: S,
}

pub fn wait_for<S: EventSource>(source: S) -> WaitFor<S> {
    WaitFor { source }
}

impl<S: EventSource> Future for WaitFor<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        // Check every millisecond until the terminal says yes: no waker, no race.
        while !self.source.has_fired() {
            std::thread::sleep(Duration::from_millis(1));
        }
        Poll::Ready(())
    }
}

/// The card terminal: its driver thread calls `approve` when the bank says yes.
#[derive(Default)]
pub struct CardTerminal {
    approved: AtomicBool,
    waiting: Mutex<Option<Waker>>,
}

impl CardTerminal {
    pub fn approve(&self) {
        self.approved.store(true, Ordering::SeqCst);
        let waiting = self.waiting.lock().unwrap().take();
        if let Some(waker) = waiting {
            waker.wake();
        }
    }
}

impl EventSource for Arc<CardTerminal> {
    fn has_fired(&self) -> bool {
        self.approved.load(Ordering::SeqCst)
    }

    fn register(&self, waker: &Waker) {
        *self.waiting.lock().unwrap() = Some(waker.clone());
    }
}
