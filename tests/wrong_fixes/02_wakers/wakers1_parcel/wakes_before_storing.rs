//! Wrong fix: deliver() wakes the waiting customer first and puts the parcel in the slot afterwards,
//! in a second lock: an executor that polls the woken task at once finds the slot still empty.
// expect fail: woke the task before the result was stored
//! A parcel locker shared by a courier and a customer.
//!
//! `locker()` makes one slot with two ends: the `Courier` drops a parcel into it with
//! `deliver`, possibly from another thread, and the customer's task `.await`s the `Parcel`
//! future until the parcel is there.
//!
//! Right now a customer who arrives before the courier waits forever: `Parcel::poll` says
//! "not yet" (`Pending`) but leaves no way for anyone to tell the task to look again, and the
//! executor never polls a task that nobody wakes.
//!
//! Done when: a `Parcel` that returns `Pending` has left its task's waker in the slot, and
//! `deliver` wakes it, so the next poll returns the parcel. A parcel that is already there is
//! returned on the first poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// What the courier and the customer share.
struct Slot<T> {
    parcel: Option<T>,
    waiting: Option<Waker>,
}

/// Makes an empty locker: give the `Courier` to whoever delivers, await the `Parcel`.
pub fn locker<T>() -> (Courier<T>, Parcel<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        parcel: None,
        waiting: None,
    }));
    let courier = Courier {
        slot: Arc::clone(&slot),
    };
    (courier, Parcel { slot })
}

/// The delivering end. It can be sent to another thread.
pub struct Courier<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Courier<T> {
    /// Puts the parcel in the slot. One courier delivers one parcel.
    pub fn deliver(self, parcel: T) {
        // Let the customer know right away, then drop the parcel off.
        let waiting = self.slot.lock().unwrap().waiting.take();
        if let Some(waker) = waiting {
            waker.wake();
        }
        self.slot.lock().unwrap().parcel = Some(parcel);
    }
}

/// The customer's end: a future that resolves to the delivered parcel.
pub struct Parcel<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Parcel<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap();
        match slot.parcel.take() {
            Some(parcel) => Poll::Ready(parcel),
            None => {
                slot.waiting = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
