//! Correct alternative: the flag and an Option<Waker> under one Mutex instead of atomics
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
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Door {
    /// Whether it is open, and who to wake when it opens: one lock, so they cannot disagree.
    state: Mutex<(bool, Option<Waker>)>,
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
        let waiting = {
            let mut state = self.door.state.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waiting {
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
        let mut state = self.door.state.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}
