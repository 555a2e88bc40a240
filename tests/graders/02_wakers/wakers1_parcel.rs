use std::future::{Future, poll_fn};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Parcel, locker};

const RESOLVED_EARLY: &str = "the Parcel resolved before the courier delivered anything: return \
    Pending while the slot is empty";

const WAKE_IN_DELIVER: &str = "keep the waker in the shared slot, and in deliver() take it out \
    and wake() it";

const STORE_THEN_WAKE: &str = "in deliver(), put the parcel in the slot first and wake the \
    waker after: a task polled the instant it is woken must find the parcel";

fn customer<T>(parcel: Parcel<T>) -> HandPoll<Parcel<T>> {
    HandPoll::new(parcel).blocking_fix(
        "return Pending at once when the slot is empty, and let deliver() wake the task",
    )
}

#[test]
fn pending_parcel_leaves_a_waker_for_the_courier() {
    let (_courier, parcel) = locker::<&str>();
    let mut customer = customer(parcel);

    assert!(customer.poll().is_pending(), "{RESOLVED_EARLY}");
    customer
        .check_no_self_wake("leave the waker for deliver() instead")
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    customer
        .check_kept_waker(
            "store a clone of cx.waker() in the slot, where deliver() can find it and wake it",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn delivery_wakes_the_waiting_customer() {
    let (courier, parcel) = locker();
    let mut customer = customer(parcel);

    assert!(customer.poll().is_pending(), "{RESOLVED_EARLY}");
    customer
        .check_woken_by(
            "the delivery",
            || courier.deliver("flowers"),
            WAKE_IN_DELIVER,
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(
        customer.poll(),
        Poll::Ready("flowers"),
        "the task was woken after the delivery, but polling the Parcel again did not return \
         the parcel: take it out of the slot when it is there"
    );
}

#[test]
fn the_parcel_is_in_the_slot_when_the_customer_is_woken() {
    let (courier, parcel) = locker();
    // An executor at its most eager polls the task the instant it is woken.
    let mut customer = EagerPoll::new(parcel).named("Parcel").blocking_fix(
        "return Pending at once when the slot is empty, and let deliver() wake the task",
    );
    assert!(customer.poll().is_pending(), "{RESOLVED_EARLY}");
    let parcel = customer
        .check_ready_after(
            "the delivery",
            move || courier.deliver("a letter"),
            Duration::ZERO,
            STORE_THEN_WAKE,
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(
        parcel, "a letter",
        "the customer got something other than what the courier delivered"
    );
}

#[test]
fn delivery_wakes_the_task_that_polled_last() {
    let (courier, parcel) = locker();
    let mut customer = customer(parcel);
    assert!(customer.poll().is_pending(), "{RESOLVED_EARLY}");
    // The customer's Parcel moved to another task (a select! gave up on it), which polls it now.
    assert!(customer.poll_with_new_waker().is_pending(), "{RESOLVED_EARLY}");
    customer
        .check_woken_by(
            "the delivery",
            || courier.deliver("a parcel"),
            "store the waker of every poll in the slot, replacing the one kept before",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn parcel_already_delivered_is_ready_on_the_first_poll() {
    let (courier, parcel) = locker();
    courier.deliver(7_u32);
    let mut customer = customer(parcel);

    assert_eq!(
        customer.poll(),
        Poll::Ready(7),
        "the parcel was already in the slot, but the first poll did not return it: look in \
         the slot before deciding to wait"
    );
}

#[test]
fn a_parcel_can_be_anything_even_nothing() {
    let (courier, parcel) = locker::<()>();
    let mut customer = customer(parcel);
    assert!(customer.poll().is_pending(), "{RESOLVED_EARLY}");
    courier.deliver(());
    assert_eq!(
        customer.poll(),
        Poll::Ready(()),
        "an empty parcel (the unit value) was delivered but not returned: return whatever was \
         delivered"
    );
}

#[test]
fn awaits_a_parcel_delivered_from_another_thread() {
    const COURIER_DELAY: Duration = Duration::from_millis(50);

    let (value, polls) = real_clock()
        .limit(Duration::from_millis(1500))
        .on_never_woken(
            "the courier delivered from another thread after 50 ms, but the task awaiting the \
             Parcel never finished: it returned Pending without leaving a waker that deliver() \
             wakes, so the executor never polled it again",
        )
        .on_blocked(
            "awaiting the Parcel blocked the runtime's thread: return Pending at once when the \
             slot is empty, and let deliver() wake the task",
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
