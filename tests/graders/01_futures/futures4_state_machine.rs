use std::future::Future;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::oneshot;
use tokio::time::{Instant, advance, sleep};
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready};

use crate::exercise::{Order, ticket};

const PREP: Duration = Duration::from_secs(2);

fn order(id: u32, prep_time: Duration) -> Order {
    Order { id, prep_time }
}

/// Runs `make()`'s future on a fresh current-thread runtime whose clock starts paused, on a
/// watched thread: a future that never lets virtual time move on (it keeps waking itself, or
/// blocks the thread) is stopped by the watchdog with `explanation`.
fn in_paused_runtime<T, Fut>(explanation: &str, make: impl FnOnce() -> Fut + Send + 'static) -> T
where
    T: Send + 'static,
    Fut: Future<Output = T>,
{
    paused_clock()
        .limit(Duration::from_millis(1500))
        .on_block(explanation)
        .run(make)
}

#[tokio::test(start_paused = true)]
async fn waits_quietly_for_the_order() {
    let (kitchen, orders) = oneshot::channel();
    let mut ticket = task::spawn(ticket(orders));

    assert_pending!(
        ticket.poll(),
        "the ticket resolved before any order came in: return Pending while the order \
         channel is Pending"
    );
    assert!(
        !ticket.is_woken(),
        "woke itself although no order had come in: the executor polls it again at once, a \
         busy loop that burns a CPU core; only return Pending from a stage that returned \
         Pending, and let that stage do the waking"
    );
    let _ = kitchen.send(order(7, PREP));
    assert!(
        ticket.is_woken(),
        "the order came in but the ticket's task was not woken: poll the order channel with \
         the cx you were given, so the channel can wake the task"
    );
}

#[tokio::test(start_paused = true)]
async fn arranges_a_wake_up_for_the_food_once_the_order_is_in() {
    let (kitchen, orders) = oneshot::channel();
    let mut ticket = task::spawn(ticket(orders));
    assert_pending!(
        ticket.poll(),
        "the ticket resolved before any order came in: return Pending while the order \
         channel is Pending"
    );
    let _ = kitchen.send(order(7, PREP));

    // The poll that picks up the order. It may ask to be polled once more right away (by
    // waking itself), as long as it then settles down to wait for the food.
    let mut polls = 0;
    loop {
        polls += 1;
        if let std::task::Poll::Ready(served) = ticket.poll() {
            panic!(
                "served {served:?} right after the order came in, before its 2 s of \
                 preparation: wait for the cooking timer"
            );
        }
        if !ticket.is_woken() {
            break;
        }
        assert!(
            polls < 3,
            "woke itself on every poll while the food was cooking: a busy loop that burns a \
             CPU core; return the cooking timer's Pending and let the timer wake the task"
        );
    }

    advance(PREP).await;
    if !ticket.is_woken() {
        // Nothing is going to wake it. Poll anyway, to tell the two usual causes apart.
        let verdict = if ticket.poll().is_ready() {
            "took the order, moved on to cooking and returned Pending without polling the new \
             stage: nothing will ever wake this future (the 2 s went by without a wake-up); \
             after a stage completes, loop and poll the next one, until a stage returns Pending"
        } else {
            "the cooking timer does not survive a poll: the 2 s went by without a wake-up, and \
             a poll after them still found the food cooking; a Sleep dropped at the end of \
             poll cancels its wake-up and a new one starts over, so create the Sleep once, \
             when the order comes in, and keep it in the Cooking state"
        };
        panic!("{verdict}");
    }
    let served = assert_ready!(
        ticket.poll(),
        "woken when the 2 s of preparation were up, but the next poll still returned \
         Pending: poll the cooking timer and resolve when it is Ready"
    );
    assert_eq!(served, Some(7), "the ticket resolved to the wrong order id");
}

#[test]
fn serves_the_ticket_when_the_food_is_ready() {
    const ORDER_AT: Duration = Duration::from_secs(1);
    const PREP_TIME: Duration = Duration::from_secs(3);

    let (served, served_at) = in_paused_runtime(
        "the runtime could not move (virtual) time on: the ticket keeps waking itself (a busy \
         loop) or blocks the thread in poll; return Pending only from a stage that returned \
         Pending, and let that stage do the waking",
        || async {
            let start = Instant::now();
            let (kitchen, orders) = oneshot::channel();
            let customer = tokio::spawn(async move {
                let served = ticket(orders).await;
                (served, start.elapsed())
            });
            tokio::spawn(async move {
                sleep(ORDER_AT).await;
                let _ = kitchen.send(order(31, PREP_TIME));
            });

            sleep(Duration::from_secs(60)).await;
            assert!(
                customer.is_finished(),
                "60 s after an order with 3 s of preparation came in, the ticket was still not \
                 served: its last Pending left nothing set to wake it; after taking the order, \
                 poll the cooking timer (kept in the ticket's state) in that same call"
            );
            customer
                .await
                .expect("the task awaiting the ticket panicked")
        },
    );

    assert_eq!(
        served,
        Some(31),
        "the ticket resolved to the wrong order id"
    );
    assert_eq!(
        served_at,
        ORDER_AT + PREP_TIME,
        "an order that came in at 1 s with 3 s of preparation was served at {served_at:?} \
         instead of 4 s: start the cooking timer when the order comes in"
    );
}

#[tokio::test(start_paused = true)]
async fn a_closed_order_channel_gives_none() {
    let (kitchen, orders) = oneshot::channel::<Order>();
    let mut ticket = task::spawn(ticket(orders));
    assert_pending!(
        ticket.poll(),
        "the ticket resolved before any order came in: return Pending while the order \
         channel is Pending"
    );
    drop(kitchen);
    let served = assert_ready!(
        ticket.poll(),
        "the order channel closed without an order, but the ticket still returned Pending: \
         nothing can ever come; resolve to None"
    );
    assert_eq!(
        served, None,
        "no order was placed, so the ticket must resolve to None"
    );
}
