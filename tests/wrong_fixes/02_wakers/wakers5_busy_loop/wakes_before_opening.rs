//! Wrong fix: open() wakes the waiting task first and sets the flag after: an executor that polls the
//! woken task at once still finds the door shut.
// expect fail: woke the task before the result was stored
//! The door sensor of a loading dock. A sensor thread calls `DockDoor::open` once a truck has
//! docked; the unloading task `.await`s `door.opened()` before it starts. The door opens once
//! and stays open, and one task waits for it.
//!
//! `Opened` gives the right answer, but while the door is shut it keeps a CPU core at 100%:
//! every poll wakes its own task, so the executor polls it again at once, and again...
//!
//! Done when: a pending `Opened` stays asleep (nothing wakes it) until `open` wakes it, a door
//! that is already open is seen at the first poll, and no poll blocks the thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;

#[derive(Default)]
struct Door {
    open: AtomicBool,
    /// Holds the waker of the latest poll; `open` (on any thread) takes it out and wakes it.
    waiter: AtomicWaker,
}

/// Cheap to clone: the sensor thread and the unloading task each keep one.
#[derive(Clone, Default)]
pub struct DockDoor {
    door: Arc<Door>,
}

impl DockDoor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called by the sensor thread when a truck has docked.
    pub fn open(&self) {
        // Wake the unloading task, and open the door for it.
        self.door.waiter.wake();
        self.door.open.store(true, Ordering::Release);
    }

    /// A future that resolves once the door is open.
    pub fn opened(&self) -> Opened {
        Opened {
            door: Arc::clone(&self.door),
        }
    }
}

pub struct Opened {
    door: Arc<Door>,
}

impl Future for Opened {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.door.open.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        // Pending is only allowed because `open` will wake this waker later.
        self.door.waiter.register(cx.waker());
        // Look again: if `open` ran between the check above and `register`, its wake found
        // no waker, and this second look is the only thing that sees the door open.
        if self.door.open.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
