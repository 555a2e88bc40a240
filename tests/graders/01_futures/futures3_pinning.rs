use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::sleep;
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready};

use crate::exercise::Timed;

const OPERATION: Duration = Duration::from_millis(1500);

/// An operation written the everyday way, as an `async fn`: its future is not `Unpin`.
async fn async_report() -> &'static str {
    sleep(OPERATION).await;
    "report"
}

#[tokio::test(start_paused = true)]
async fn times_an_async_block() {
    let (output, took) = Timed::new(async_report()).await;

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

#[tokio::test(start_paused = true)]
async fn starts_the_clock_at_the_first_poll() {
    let timed = Timed::new(async_report());
    // Nobody polls the future for 5 s: it does no work in that time.
    sleep(Duration::from_secs(5)).await;
    let (_, took) = timed.await;

    assert_eq!(
        took, OPERATION,
        "measured {took:?} for a 1.5 s operation that sat unpolled for 5 s after Timed::new: \
         futures are lazy, nothing runs before the first poll; start the clock in poll, not in new"
    );
}

#[test]
fn passes_the_inner_wake_up_to_the_task() {
    let (reply, answer) = oneshot::channel::<u32>();
    let mut timed = task::spawn(Timed::new(async move { answer.await.unwrap_or(0) }));

    assert_pending!(
        timed.poll(),
        "Timed returned Ready before the inner future had its answer: return Pending while \
         the inner future is Pending"
    );
    assert!(
        !timed.is_woken(),
        "Timed woke its own task while nothing had happened: a busy loop; let the inner \
         future register the waker and wake it when it is ready"
    );
    reply.send(42).expect("the grader's receiver was dropped");
    assert!(
        timed.is_woken(),
        "the inner future became ready but the task awaiting Timed was never woken: poll the \
         inner future with the cx you were given, so its wake-up reaches your task"
    );
    let (value, _) = assert_ready!(
        timed.poll(),
        "woken after the inner future became ready, yet Timed still returned Pending: poll \
         the inner future again on every poll of Timed"
    );
    assert_eq!(
        value, 42,
        "Timed did not hand back the inner future's output"
    );
}

#[test]
fn a_ready_future_is_ready_on_the_first_poll() {
    let mut timed = task::spawn(Timed::new(std::future::ready('x')));
    let (value, _) = assert_ready!(
        timed.poll(),
        "the inner future was ready at once, but Timed returned Pending: return Ready as \
         soon as the inner future does"
    );
    assert_eq!(
        value, 'x',
        "Timed did not hand back the inner future's output"
    );
}
