//! Wrong fix: never returns Pending: poll waits on a Condvar until the courier has delivered, which
//! blocks the thread of the executor that polls it.
// expect fail: a poll of Parcel had not returned after
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
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

/// What the courier and the customer share.
struct Slot<T> {
    parcel: Option<T>,
    // TODO: somewhere to leave the waiting task's waker (`std::task::Waker`).
}

/// The slot, and a bell the courier rings after a delivery.
type Shared<T> = (Mutex<Slot<T>>, Condvar);

/// Makes an empty locker: give the `Courier` to whoever delivers, await the `Parcel`.
pub fn locker<T>() -> (Courier<T>, Parcel<T>) {
    let slot = Arc::new((Mutex::new(Slot { parcel: None }), Condvar::new()));
    let courier = Courier {
        slot: Arc::clone(&slot),
    };
    (courier, Parcel { slot })
}

/// The delivering end. It can be sent to another thread.
pub struct Courier<T> {
    slot: Arc<Shared<T>>,
}

impl<T> Courier<T> {
    /// Puts the parcel in the slot. One courier delivers one parcel.
    pub fn deliver(self, parcel: T) {
        let (slot, bell) = &*self.slot;
        slot.lock().unwrap().parcel = Some(parcel);
        bell.notify_all();
    }
}

/// The customer's end: a future that resolves to the delivered parcel.
pub struct Parcel<T> {
    slot: Arc<Shared<T>>,
}

impl<T> Future for Parcel<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        // No waker needed: wait right here until the courier rings.
        let (slot, bell) = &*self.slot;
        let mut slot = bell
            .wait_while(slot.lock().unwrap(), |slot| slot.parcel.is_none())
            .unwrap();
        Poll::Ready(slot.parcel.take().expect("the courier rang"))
    }
}
