use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::oneshot;
use tokio::time::sleep;

use crate::exercise::Timed;

const OPERATION: Duration = Duration::from_millis(1500);

const FIX_POLL_INNER: &str = "poll the inner future with the cx you were given, and return \
    Pending at once when it is Pending";

/// An operation written the everyday way, as an `async fn`: its future is not `Unpin`.
async fn async_report() -> &'static str {
    sleep(OPERATION).await;
    "report"
}

/// Runs `make`'s future on a current-thread runtime whose clock is paused, on a watched thread.
fn run_on_paused_clock<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(
            "Timed blocked the runtime thread inside poll (a block_on on the inner future, or a \
             wait for it?), so the inner future's timer could not fire; poll the inner future \
             once per poll of Timed and return Pending when it is Pending",
        )
        .on_never_woken(
            "awaiting Timed never finished: the task was never woken; poll the inner future \
             with the cx you were given, so its wake-up reaches your task",
        )
        .run(make)
}

fn timed<F: Future>(inner: F) -> HandPoll<Timed<F>> {
    HandPoll::new(Timed::new(inner))
        .named("Timed")
        .blocking_fix(FIX_POLL_INNER)
}

#[test]
fn times_an_async_block() {
    let (output, took) = run_on_paused_clock(|| Timed::new(async_report()));

    assert_eq!(
        output, "report",
        "Timed did not hand back the inner future's output: return it next to the duration"
    );
    assert_eq!(
        took, OPERATION,
        "measured {took:?} for an operation that sleeps 1.5 s of (virtual) time: measure from \
         the first poll until the inner future returns Ready"
    );
}

#[test]
fn starts_the_clock_at_the_first_poll() {
    let took = run_on_paused_clock(|| async {
        let timed = Timed::new(async_report());
        // Nobody polls the future for 5 s: it does no work in that time.
        sleep(Duration::from_secs(5)).await;
        timed.await.1
    });

    assert_eq!(
        took, OPERATION,
        "measured {took:?} for a 1.5 s operation that sat unpolled for 5 s after Timed::new: \
         futures are lazy, nothing runs before the first poll; start the clock in poll, not in new"
    );
}

#[test]
fn passes_the_inner_wake_up_to_the_task() {
    let (reply, answer) = oneshot::channel::<u32>();
    let mut timed = timed(async move { answer.await.unwrap_or(0) });

    assert!(
        timed.poll().is_pending(),
        "Timed returned Ready before the inner future had its answer: return Pending while \
         the inner future is Pending"
    );
    timed
        .check_no_self_wake(
            "let the inner future register the waker and wake it when it is ready",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    timed
        .check_woken_by(
            "the inner future's answer",
            || reply.send(42).expect("the grader's receiver was dropped"),
            FIX_POLL_INNER,
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    let Poll::Ready((value, _)) = timed.poll() else {
        panic!(
            "woken after the inner future became ready, yet Timed still returned Pending: poll \
             the inner future again on every poll of Timed"
        );
    };
    assert_eq!(
        value, 42,
        "Timed did not hand back the inner future's output"
    );
}

#[test]
fn wakes_the_task_that_polled_last() {
    let (reply, answer) = oneshot::channel::<u32>();
    let mut timed = timed(async move { answer.await.unwrap_or(0) });
    assert!(timed.poll().is_pending(), "Timed was ready at once");
    // The Timed moved to another task, which polls it with its own waker.
    assert!(
        timed.poll_with_new_waker().is_pending(),
        "Timed was ready before the inner future had its answer"
    );
    timed
        .check_woken_by(
            "the inner future's answer",
            || reply.send(7).expect("the grader's receiver was dropped"),
            "pass the cx of every poll down to the inner future, never one kept from an \
             earlier poll",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn a_ready_future_is_ready_on_the_first_poll() {
    let mut timed = timed(std::future::ready('x'));
    let Poll::Ready((value, took)) = timed.poll() else {
        panic!(
            "the inner future was ready at once, but Timed returned Pending: return Ready as \
             soon as the inner future does"
        );
    };
    assert_eq!(
        value, 'x',
        "Timed did not hand back the inner future's output"
    );
    assert!(
        took < Duration::from_millis(100),
        "measured {took:?} for a future that was ready at its first poll: measure from the \
         first poll to Ready"
    );
}

#[test]
fn an_instant_operation_takes_no_time() {
    let took = run_on_paused_clock(|| async { Timed::new(sleep(Duration::ZERO)).await.1 });
    assert_eq!(
        took,
        Duration::ZERO,
        "measured {took:?} of (virtual) time for an operation that takes none: start the clock \
         at the first poll and stop it when the inner future is Ready"
    );
}
