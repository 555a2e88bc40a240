use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::oneshot;
use tokio::time::{Instant, advance, sleep};

use crate::exercise::{Order, Ticket, ticket};

const PREP: Duration = Duration::from_secs(2);

const RESOLVED_EARLY: &str = "the ticket resolved before any order came in: return Pending \
    while the order channel is Pending";

fn order(id: u32, prep_time: Duration) -> Order {
    Order { id, prep_time }
}

/// Runs `make()`'s future on a fresh current-thread runtime whose clock starts paused, on a
/// watched thread: a ticket that blocks the thread, keeps the runtime busy or is never woken is
/// stopped with a verdict of its kind.
fn in_paused_runtime<T, Fut>(make: impl FnOnce() -> Fut + Send + 'static) -> T
where
    T: Send + 'static,
    Fut: Future<Output = T> + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(
            "the ticket blocked the runtime thread inside poll; return Pending at once and let \
             the stage you polled wake the task",
        )
        .on_busy(
            "the runtime could not move (virtual) time on: the ticket keeps waking itself (a \
             busy loop); return Pending only from a stage that returned Pending, and let that \
             stage do the waking",
        )
        .run(make)
}

fn hand(orders: oneshot::Receiver<Order>) -> HandPoll<Ticket> {
    HandPoll::new(ticket(orders)).named("Ticket")
}

#[test]
fn waits_quietly_for_the_order() {
    in_paused_runtime(|| async {
        let (kitchen, orders) = oneshot::channel();
        let mut ticket = hand(orders);

        assert!(ticket.poll().is_pending(), "{RESOLVED_EARLY}");
        ticket
            .check_no_self_wake(
                "only return Pending from a stage that returned Pending, and let that stage do \
                 the waking",
            )
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        ticket
            .check_woken_by(
                "the order",
                || {
                    let _ = kitchen.send(order(7, PREP));
                },
                "poll the order channel with the cx you were given, so the channel can wake \
                 the task",
            )
            .unwrap_or_else(|verdict| panic!("{verdict}"));
    });
}

/// Takes the order in and polls until the ticket settles down to wait for the food: it may
/// ask to be polled once more right away (by waking itself), no more.
fn take_the_order(ticket: &mut HandPoll<Ticket>, prep: Duration) {
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(served) = ticket.poll() {
            panic!(
                "served {served:?} right after the order came in, before its {} s of \
                 preparation: wait for the cooking timer",
                prep.as_secs()
            );
        }
        if ticket.last_poll().woke_itself == 0 {
            break;
        }
        assert!(
            polls < 3,
            "woke itself on every poll while the food was cooking: a busy loop that burns a \
             CPU core; return the cooking timer's Pending and let the timer wake the task"
        );
    }
}

#[test]
fn arranges_a_wake_up_for_the_food_once_the_order_is_in() {
    in_paused_runtime(|| async {
        let (kitchen, orders) = oneshot::channel();
        let mut ticket = hand(orders);
        assert!(ticket.poll().is_pending(), "{RESOLVED_EARLY}");
        let _ = kitchen.send(order(7, PREP));
        take_the_order(&mut ticket, PREP);

        // The food is ready in 2 s; the task that awaits the ticket may have changed meanwhile.
        assert!(
            ticket.poll_with_new_waker().is_pending(),
            "served before the food was cooked"
        );
        advance(PREP).await;
        if let Err(stale_or_never) = ticket.check_woken_since_poll(
            "the 2 s of preparation",
            "poll the cooking timer with the cx of every poll",
        ) {
            if stale_or_never.starts_with("woke the waker from an earlier poll") {
                panic!("{stale_or_never}");
            }
            // Nothing is going to wake it. Poll anyway, to tell the usual causes apart.
            let verdict = if ticket.poll().is_ready() {
                "took the order, moved on to cooking and returned Pending without polling the \
                 new stage: nothing will ever wake this future (the 2 s went by without a \
                 wake-up); after a stage completes, loop and poll the next one, until a stage \
                 returns Pending"
            } else {
                "the cooking timer does not survive a poll: the 2 s went by without a wake-up, \
                 and a poll after them still found the food cooking; a Sleep dropped at the end \
                 of poll cancels its wake-up and a new one starts over, so create the Sleep \
                 once, when the order comes in, and keep it in the Cooking state"
            };
            panic!("{verdict}");
        }
        let Poll::Ready(served) = ticket.poll() else {
            panic!(
                "woken when the 2 s of preparation were up, but the next poll still returned \
                 Pending: poll the cooking timer and resolve when it is Ready"
            );
        };
        assert_eq!(served, Some(7), "the ticket resolved to the wrong order id");
    });
}

/// Awaits a ticket whose order comes in at 1 s, in a task as a customer would; returns what it
/// was served and when.
fn serve_one(id: u32, prep_time: Duration) -> (Option<u32>, Duration) {
    const ORDER_AT: Duration = Duration::from_secs(1);
    in_paused_runtime(move || async move {
        let start = Instant::now();
        let (kitchen, orders) = oneshot::channel();
        let customer = tokio::spawn(async move {
            let served = ticket(orders).await;
            (served, start.elapsed())
        });
        tokio::spawn(async move {
            sleep(ORDER_AT).await;
            let _ = kitchen.send(order(id, prep_time));
        });

        sleep(Duration::from_secs(60)).await;
        assert!(
            customer.is_finished(),
            "60 s after an order with {} s of preparation came in, the ticket was still not \
             served: its last Pending left nothing set to wake it; after taking the order, poll \
             the cooking timer (kept in the ticket's state) in that same call, and return what \
             it says (Ready included)",
            prep_time.as_secs()
        );
        customer
            .await
            .expect("the task awaiting the ticket panicked")
    })
}

#[test]
fn serves_the_ticket_when_the_food_is_ready() {
    let (served, served_at) = serve_one(31, Duration::from_secs(3));
    assert_eq!(
        served,
        Some(31),
        "the ticket resolved to the wrong order id"
    );
    assert_eq!(
        served_at,
        Duration::from_secs(4),
        "an order that came in at 1 s with 3 s of preparation was served at {served_at:?} \
         instead of 4 s: start the cooking timer when the order comes in"
    );
}

#[test]
fn an_order_that_needs_no_cooking_is_served_at_once() {
    let (served, served_at) = serve_one(0, Duration::ZERO);
    assert_eq!(
        (served, served_at),
        (Some(0), Duration::from_secs(1)),
        "an order (id 0) with no preparation time that came in at 1 s must be served right \
         then, with its id"
    );
}

#[test]
fn a_closed_order_channel_gives_none() {
    let (kitchen, orders) = oneshot::channel::<Order>();
    let mut ticket = hand(orders);
    assert!(ticket.poll().is_pending(), "{RESOLVED_EARLY}");
    drop(kitchen);
    let Poll::Ready(served) = ticket.poll() else {
        panic!(
            "the order channel closed without an order, but the ticket still returned Pending: \
             nothing can ever come; resolve to None"
        );
    };
    assert_eq!(
        served, None,
        "no order was placed, so the ticket must resolve to None"
    );
}
