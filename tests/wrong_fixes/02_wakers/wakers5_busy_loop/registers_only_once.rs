//! Wrong fix: keeps the waker in a Mutex<Option<Waker>> but stores it only when none is there yet, so
//! after the task changes, open() wakes the one that polled first.
// expect fail: woke the waker from an earlier poll (stale)
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Door {
    open: AtomicBool,
    waiter: Mutex<Option<Waker>>,
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
        // Set the flag first: the task the wake-up schedules must find the door open.
        self.door.open.store(true, Ordering::Release);
        let waiter = self.door.waiter.lock().unwrap().take();
        if let Some(waker) = waiter {
            waker.wake();
        }
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
        // Keep a waker for open(); the one we have will do.
        self.door
            .waiter
            .lock()
            .unwrap()
            .get_or_insert_with(|| cx.waker().clone());
        // Look again: if `open` ran between the check above and `register`, its wake found
        // no waker, and this second look is the only thing that sees the door open.
        if self.door.open.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
