//! EagerPoll: a wake-up has the future polled at once, so "woke the task before the result was
//! stored" is decided every time, not by the scheduler.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::assert_says;

#[derive(Default)]
struct Slot {
    parcel: Option<&'static str>,
    waker: Option<Waker>,
}

/// How a fixture courier delivers.
#[derive(Clone, Copy)]
enum Delivery {
    /// Right: store, release the lock, wake.
    StoreThenWake,
    /// Right too: wake while still holding the lock, store before releasing it.
    WakeInsideTheLock,
    /// Wrong: wake, then store (outside any common lock).
    WakeThenStore,
    /// Wrong: store, never wake.
    NeverWake,
}

#[derive(Clone, Default)]
struct Locker {
    slot: Arc<Mutex<Slot>>,
}

impl Locker {
    fn deliver(&self, parcel: &'static str, how: Delivery) {
        match how {
            Delivery::StoreThenWake => {
                let waker = {
                    let mut slot = self.slot.lock().unwrap();
                    slot.parcel = Some(parcel);
                    slot.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Delivery::WakeInsideTheLock => {
                let mut slot = self.slot.lock().unwrap();
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
                std::thread::sleep(Duration::from_millis(5));
                slot.parcel = Some(parcel);
            }
            Delivery::WakeThenStore => {
                let waker = self.slot.lock().unwrap().waker.take();
                if let Some(waker) = waker {
                    waker.wake();
                }
                self.slot.lock().unwrap().parcel = Some(parcel);
            }
            Delivery::NeverWake => self.slot.lock().unwrap().parcel = Some(parcel),
        }
    }
}

struct Parcel {
    locker: Locker,
}

impl Future for Parcel {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut slot = self.locker.slot.lock().unwrap();
        match slot.parcel.take() {
            Some(parcel) => Poll::Ready(parcel),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

const FIX: &str = "store the parcel first, then wake";

fn deliver(how: Delivery, on_a_thread: bool) -> Result<&'static str, String> {
    let locker = Locker::default();
    let mut eager = EagerPoll::new(Parcel {
        locker: locker.clone(),
    });
    assert!(eager.poll().is_pending());
    let patience = if on_a_thread {
        Duration::from_millis(300)
    } else {
        Duration::ZERO
    };
    eager.check_ready_after(
        "the delivery",
        move || {
            if on_a_thread {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    locker.deliver("flowers", how);
                })
                .join()
                .unwrap();
            } else {
                locker.deliver("flowers", how);
            }
        },
        patience,
        FIX,
    )
}

#[test]
fn waking_before_storing_is_named_every_time() {
    for on_a_thread in [false, true] {
        for _ in 0..20 {
            let verdict = deliver(Delivery::WakeThenStore, on_a_thread).unwrap_err();
            assert_eq!(
                verdict,
                "woke the task before the result was stored: a poll right after the wake still \
                 saw Pending, and nothing woke it again after the delivery; store the parcel \
                 first, then wake"
            );
        }
    }
}

#[test]
fn storing_then_waking_passes() {
    for on_a_thread in [false, true] {
        assert_eq!(deliver(Delivery::StoreThenWake, on_a_thread), Ok("flowers"));
    }
}

#[test]
fn waking_inside_the_lock_that_guards_the_result_passes() {
    for on_a_thread in [false, true] {
        assert_eq!(
            deliver(Delivery::WakeInsideTheLock, on_a_thread),
            Ok("flowers")
        );
    }
}

#[test]
fn never_waking_is_named() {
    assert_says(
        &deliver(Delivery::NeverWake, false).unwrap_err(),
        &["never woken after the delivery: the future kept a waker, but nothing woke it"],
    );
}

#[test]
fn a_future_that_wakes_itself_is_a_busy_loop() {
    let mut eager = EagerPoll::new(std::future::poll_fn(|cx| -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    assert!(eager.poll().is_pending());
    assert_says(
        &eager
            .check_ready_after("the delivery", || {}, Duration::ZERO, FIX)
            .unwrap_err(),
        &["woke itself on every poll: 1000 polls while waiting for the delivery"],
    );
}
