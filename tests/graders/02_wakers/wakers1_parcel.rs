use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Parcel, locker};

/// Polls the parcel once with `waker`.
fn poll_parcel<T>(parcel: &mut Pin<Box<Parcel<T>>>, waker: &CountingWaker) -> Poll<T> {
    parcel.as_mut().poll(&mut waker.context())
}

#[test]
fn pending_parcel_leaves_a_waker_for_the_courier() {
    let (_courier, parcel) = locker::<&str>();
    let mut parcel = Box::pin(parcel);
    let customer = CountingWaker::new();

    assert!(
        poll_parcel(&mut parcel, &customer).is_pending(),
        "the Parcel resolved before the courier delivered anything: return Pending while the \
         slot is empty"
    );
    assert!(
        !customer.is_woken(),
        "woke its own task while the slot was still empty: the executor polls it again at \
         once, a busy loop until the courier comes; leave the waker for deliver() instead"
    );
    assert!(
        customer.copies_held() >= 1,
        "returned Pending but kept no waker: nothing will ever poll it again; store a clone \
         of cx.waker() in the slot, where deliver() can find it and wake it"
    );
}

#[test]
fn delivery_wakes_the_waiting_customer() {
    let (courier, parcel) = locker();
    let mut parcel = Box::pin(parcel);
    let customer = CountingWaker::new();

    assert!(
        poll_parcel(&mut parcel, &customer).is_pending(),
        "the Parcel resolved before the courier delivered anything: return Pending while the \
         slot is empty"
    );
    let kept_a_waker = customer.copies_held() > 0;
    courier.deliver("flowers");

    assert!(
        customer.is_woken(),
        "{}",
        if kept_a_waker {
            "never woken after the delivery: the Parcel kept a waker, but deliver() did not wake \
             it; keep the waker in the shared slot, and in deliver() take it out and wake() it"
        } else {
            "never woken after the delivery: the Parcel returned Pending but kept no waker, so \
             deliver() had nothing to wake; store cx.waker().clone() in the slot and wake it \
             in deliver()"
        }
    );
    assert_eq!(
        poll_parcel(&mut parcel, &customer),
        Poll::Ready("flowers"),
        "the task was woken after the delivery, but polling the Parcel again did not return \
         the parcel: take it out of the slot when it is there"
    );
}

#[test]
fn parcel_already_delivered_is_ready_on_the_first_poll() {
    let (courier, parcel) = locker();
    courier.deliver(7_u32);
    let mut parcel = Box::pin(parcel);
    let customer = CountingWaker::new();

    assert_eq!(
        poll_parcel(&mut parcel, &customer),
        Poll::Ready(7),
        "the parcel was already in the slot, but the first poll did not return it: look in \
         the slot before deciding to wait"
    );
}

#[test]
fn awaits_a_parcel_delivered_from_another_thread() {
    const COURIER_DELAY: Duration = Duration::from_millis(50);

    let (value, polls) = real_clock()
        .limit(Duration::from_millis(1500))
        .on_block(
            "the courier delivered from another thread after 50 ms, but the task awaiting the \
            Parcel never finished: it returned Pending without leaving a waker that deliver() \
            wakes, so the executor never polled it again",
        )
        .run(|| async {
            let (courier, parcel) = locker::<String>();
            let mut parcel = Box::pin(parcel);
            let delivery = thread::spawn(move || {
                thread::sleep(COURIER_DELAY);
                courier.deliver("a bicycle".to_owned());
            });
            // Count how often the executor has to poll the parcel to get it.
            let mut polls = 0_usize;
            let value = poll_fn(|cx| {
                polls += 1;
                parcel.as_mut().poll(cx)
            })
            .await;
            delivery.join().expect("the courier thread panicked");
            (value, polls)
        });

    assert_eq!(
        value, "a bicycle",
        "awaiting the Parcel gave something other than what the courier delivered: return \
         the parcel taken from the slot"
    );
    // One poll finds the slot empty, one after the courier's wake-up finds the parcel.
    assert!(
        polls <= 4,
        "polled {polls} times while waiting 50 ms for the courier: the Parcel woke its own \
         task on every poll (a busy loop); let only deliver() wake it"
    );
}
