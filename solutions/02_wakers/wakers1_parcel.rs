//! A parcel locker shared by a courier and a customer.
//!
//! `locker()` makes one slot with two ends: the `Courier` drops a parcel into it with
//! `deliver`, possibly from another thread, and the customer's task `.await`s the `Parcel`
//! future until the parcel is there.
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
    /// The waker of the task that last found the slot empty. The parcel and the waker live
    /// under the same lock, so "is it there?" and "wake me when it is" cannot interleave with
    /// a delivery: either the customer sees the parcel or the courier sees the waker.
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
        let waiting = {
            let mut slot = self.slot.lock().unwrap();
            slot.parcel = Some(parcel);
            slot.waiting.take()
        };
        // Wake after releasing the lock: the woken task may be polled on another thread at
        // once, and it would only block on the lock we still held.
        if let Some(waker) = waiting {
            waker.wake();
        }
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
                // `Pending` is a promise that someone will wake this task: the courier will,
                // with the waker we leave here. `cx` is only borrowed for this call, so keep
                // a clone. (Chapter exercise wakers3 avoids re-cloning the same waker.)
                slot.waiting = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
