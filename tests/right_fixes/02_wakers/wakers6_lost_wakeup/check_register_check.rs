//! Correct alternative: a fast-path check, then register, then check again
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.source.has_fired() {
            return Poll::Ready(());
        }
        self.source.register(cx.waker());
        // It may have fired between the first look and the registration: look again.
        if self.source.has_fired() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
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
