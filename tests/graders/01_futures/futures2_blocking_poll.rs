use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::DelayedGreeting;

/// The greeting's delay in every check. The shipped poll sleeps for real, so keep it short.
const DELAY: Duration = Duration::from_secs(1);
/// A poll that does not block returns in microseconds; this leaves room for a loaded machine.
const BLOCKING_POLL: Duration = Duration::from_millis(500);
/// A timer-driven future is polled twice: once to register, once after the timer's wake.
const POLL_CAP: usize = 1000;

/// Runs `make`'s future on a current-thread tokio runtime with the clock paused (virtual time
/// jumps ahead whenever every task waits on a timer), on a watched thread so a poll that
/// blocks forever fails with a verdict, and turns tokio's panics about blocking into verdicts.
fn run_on_paused_clock<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_block(
            "the greeting never finished: a poll blocked the runtime thread for good (a \
             block_on or thread sleep inside poll?); poll must return at once: poll a \
             tokio::time::Sleep and return Pending until it is ready",
        )
        .explain_panics(|message| explain_tokio_panic(message).map(str::to_owned))
        .run(make)
}

/// A verdict for the panics tokio raises when a poll tries to block, if this is one.
fn explain_tokio_panic(message: &str) -> Option<&'static str> {
    if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "poll called tokio::task::block_in_place, which panics on a current-thread runtime; \
             on a multi-thread one, block_in_place still blocks: the poll would hold its thread \
             for the whole delay. Don't wait inside poll: poll a tokio::time::Sleep and return \
             Pending",
        )
    } else if message.contains("runtime from within a runtime") {
        Some(
            "poll started a runtime's block_on inside async code, and tokio panics on that: \
             don't wait inside poll; poll a tokio::time::Sleep and return Pending until it is \
             ready",
        )
    } else {
        None
    }
}

#[test]
fn one_poll_returns_at_once() {
    let took = run_on_paused_clock(|| async {
        let waker = CountingWaker::new();
        let mut greeting = pin!(DelayedGreeting::new("Ada", DELAY));
        poll_timed(greeting.as_mut(), waker.waker()).took
    });
    assert!(
        took < BLOCKING_POLL,
        "one poll took {:.2} s (the greeting's delay is {:.2} s): poll blocked the thread \
         (std::thread::sleep, or waiting for another thread), and no other task could run \
         meanwhile; arrange a wake-up (tokio::time::sleep) and return Pending",
        took.as_secs_f64(),
        DELAY.as_secs_f64()
    );
}

#[test]
fn pending_leaves_the_waker_with_the_tokio_timer() {
    run_on_paused_clock(|| async {
        let waker = CountingWaker::new();
        let mut greeting = pin!(DelayedGreeting::new("Ada", DELAY));
        let first = greeting.as_mut().poll(&mut waker.context());
        assert!(
            first.is_pending(),
            "the first poll returned Ready before any tokio time had passed (did it block until \
             the delay was over?): return Pending at once, and let tokio's timer say when the \
             delay is over"
        );
        assert!(
            !waker.is_woken(),
            "the first poll woke its own task before returning Pending: the executor polls \
             it again at once, in a busy loop; let tokio's timer do the waking instead"
        );
        assert!(
            waker.copies_held() > 0,
            "returned Pending but nothing kept the task's waker, so nothing will ever wake it \
             (a Sleep made inside poll is dropped with its registration at the end of poll, \
             and is_elapsed() registers nothing); keep one Sleep in the struct and poll it"
        );
        tokio::time::advance(DELAY).await;
        assert_eq!(
            waker.wake_count(),
            1,
            "once the delay was over, tokio's timer should have woken the task exactly once \
             (woken {} times): poll the Sleep with the cx you were given",
            waker.wake_count()
        );
        let second = greeting.as_mut().poll(&mut waker.context());
        assert_eq!(
            second,
            Poll::Ready("Hello, Ada!".to_string()),
            "woken when the delay was over, the next poll should return the greeting"
        );
    });
}

/// Awaits a greeting the way a task would, counting the executor's polls; gives up after
/// `POLL_CAP` polls at one instant (so a busy loop ends with a figure) or ten times the delay
/// (virtual time, free in real time).
fn await_greeting(name: &'static str) -> Settled<String> {
    run_on_paused_clock(move || settle(DelayedGreeting::new(name, DELAY), DELAY * 10, POLL_CAP))
}

/// Fails with the verdict for a greeting that did not become ready; returns its output and
/// how it went (polls, virtual time).
fn expect_ready(awaited: Settled<String>) -> (String, usize, Duration) {
    match awaited {
        Settled::Ready {
            output,
            polls,
            took,
        } => (output, polls, took),
        Settled::BusyLoop { polls, .. } => panic!(
            "the greeting was polled {polls} times and was still not ready, where a timer-driven \
             future needs about 2 polls: it wakes its own task on every poll, a busy loop that \
             burns a CPU; let tokio's timer wake it once, when the delay is over"
        ),
        Settled::WouldHang {
            polls,
            last_poll_at,
            horizon,
        } => panic!(
            "the greeting was still not ready after {} s of tokio time, ten times its delay \
             (polled {}, the last time at {} ms): either nothing holds the task's waker, or \
             each poll restarts the wait (a new Sleep per poll); create one Sleep in new() and \
             keep polling it",
            horizon.as_secs(),
            if polls == 1 {
                "once".to_owned()
            } else {
                format!("{polls} times")
            },
            last_poll_at.as_millis()
        ),
    }
}

#[test]
fn is_ready_exactly_after_its_delay() {
    let (greeting, _, took) = expect_ready(await_greeting("Grace"));
    assert_eq!(
        greeting, "Hello, Grace!",
        "the greeting should say hello to the name it was given"
    );
    assert!(
        took >= DELAY,
        "the greeting was ready after {} ms of tokio time, but its delay is {} ms: the wait \
         did not go through tokio's timer (a thread sleep, or a check of the real clock, moves \
         no tokio time and blocks or spins); wait with tokio::time::sleep",
        took.as_millis(),
        DELAY.as_millis()
    );
    assert!(
        took <= DELAY + Duration::from_millis(1),
        "the greeting was ready after {} ms of tokio time, later than its {} ms delay: start \
         the timer once, when the greeting is created, and don't restart it",
        took.as_millis(),
        DELAY.as_millis()
    );
}

#[test]
fn is_woken_once_not_polled_in_a_loop() {
    let (_, polls, _) = expect_ready(await_greeting("Ada"));
    assert!(
        polls <= 3,
        "the greeting was polled {} times before it was ready, where a timer-driven future \
         needs about 2 polls: it wakes its own task when it has nothing new to report (a busy \
         loop); let tokio's timer wake it once, when the delay is over",
        polls
    );
}
