use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::DelayedGreeting;

/// The greeting's delay in every check. The shipped poll sleeps for real for that long, so it
/// is short, yet well above the blocking bound (500 ms) and below the one at which a poll that
/// never returns is reported (1 s).
const DELAY: Duration = Duration::from_millis(700);
/// A timer-driven future is polled twice: once to register, once after the timer's wake.
const POLL_CAP: usize = 1000;

const BLOCKED: &str = "the greeting blocked the runtime thread inside poll (a thread sleep, a \
    block_on, or waiting for another thread): poll must return at once; poll a \
    tokio::time::Sleep and return Pending until it is ready";

/// Runs `make`'s future on a current-thread tokio runtime with the clock paused (virtual time
/// jumps ahead whenever every task waits on a timer), on a watched thread so a poll that
/// blocks fails with a verdict, and turns tokio's panics about blocking into verdicts.
fn run_on_paused_clock<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(BLOCKED)
        .on_never_woken(
            "the greeting never finished: nothing woke its task; poll a tokio::time::Sleep kept \
             in the struct, so that tokio's timer wakes the task when the delay is over",
        )
        .explain_panics(|message| explain_blocking_panic(message).map(str::to_owned))
        .run(make)
}

/// A verdict for the panics tokio raises when a poll tries to block, if this is one.
fn explain_blocking_panic(message: &str) -> Option<&'static str> {
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

fn greeting(name: &str, delay: Duration) -> HandPoll<DelayedGreeting> {
    HandPoll::new(DelayedGreeting::new(name, delay))
        .named("DelayedGreeting")
        .blocking_fix("arrange a wake-up (tokio::time::sleep) and return Pending at once")
}

#[test]
fn one_poll_returns_at_once() {
    run_on_paused_clock(|| async {
        let mut greeting = greeting("Ada", DELAY);
        let _ = greeting.poll();
        // Checked here, inside the run, so that this verdict (with its figures) is the one.
        let took = greeting.last_poll().took;
        assert!(
            took < BLOCKING_POLL,
            "one poll took {} (the greeting's delay is {}): poll blocked the thread \
             (std::thread::sleep, or waiting for another thread), and no other task could run \
             meanwhile; arrange a wake-up (tokio::time::sleep) and return Pending",
            format_duration(took),
            format_duration(DELAY)
        );
    });
}

#[test]
fn pending_leaves_the_waker_with_the_tokio_timer() {
    run_on_paused_clock(|| async {
        let mut greeting = greeting("Ada", DELAY);
        assert!(
            greeting.poll().is_pending(),
            "the first poll returned Ready before any tokio time had passed (did it block until \
             the delay was over?): return Pending at once, and let tokio's timer say when the \
             delay is over"
        );
        greeting
            .check_no_self_wake("let tokio's timer do the waking instead")
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        greeting
            .check_kept_waker(
                "a Sleep made inside poll is dropped with its registration at the end of poll, \
                 and is_elapsed() registers nothing; keep one Sleep in the struct and poll it",
            )
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        tokio::time::advance(DELAY).await;
        let wakes = greeting.waker().wake_count();
        assert_eq!(
            wakes, 1,
            "once the delay was over, tokio's timer should have woken the task exactly once \
             (woken {wakes} times): poll the Sleep with the cx you were given"
        );
        assert_eq!(
            greeting.poll(),
            Poll::Ready("Hello, Ada!".to_string()),
            "woken when the delay was over, the next poll should return the greeting"
        );
    });
}

#[test]
fn wakes_the_task_that_polled_last() {
    run_on_paused_clock(|| async {
        let mut greeting = greeting("Ada", DELAY);
        assert!(greeting.poll().is_pending(), "the greeting was ready at once");
        // The greeting moved to another task (a select! gave up on it), which polls it now.
        assert!(
            greeting.poll_with_new_waker().is_pending(),
            "the greeting was ready before its delay was over"
        );
        tokio::time::advance(DELAY).await;
        greeting
            .check_woken_since_poll(
                "the delay",
                "poll the Sleep with the cx of every poll, so the timer wakes the task that \
                 awaits the greeting now",
            )
            .unwrap_or_else(|verdict| panic!("{verdict}"));
    });
}

/// Awaits a greeting the way a task would, counting the executor's polls; gives up after
/// `POLL_CAP` polls at one instant (so a busy loop ends with a figure) or ten times the delay
/// (virtual time, free in real time).
fn await_greeting(name: &'static str, delay: Duration) -> Settled<String> {
    run_on_paused_clock(move || {
        settle(
            DelayedGreeting::new(name, delay),
            Duration::from_secs(10),
            POLL_CAP,
        )
    })
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
            "the greeting was still not ready after {} s of tokio time (polled {}, the last \
             time at {} ms): either nothing holds the task's waker, or each poll restarts the \
             wait (a new Sleep per poll); create one Sleep in new() and keep polling it",
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
    let (greeting, _, took) = expect_ready(await_greeting("Grace", DELAY));
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
fn with_no_delay_it_is_ready_at_once() {
    let awaited = await_greeting("Linus", Duration::ZERO);
    if let Settled::WouldHang { polls, .. } = awaited {
        panic!(
            "with a delay of zero the greeting never became ready (polled {}): a Sleep that is \
             already over returns Ready without keeping the waker, and the greeting returned \
             Pending anyway, so nothing will ever wake it; return what the timer's poll says, \
             Ready included, on every poll (the first one too)",
            if polls == 1 {
                "once".to_owned()
            } else {
                format!("{polls} times")
            }
        );
    }
    let (greeting, _, took) = expect_ready(awaited);
    assert_eq!(
        (greeting.as_str(), took),
        ("Hello, Linus!", Duration::ZERO),
        "with a delay of zero the greeting must be ready at once, with no tokio time passing"
    );
}

#[test]
fn is_woken_once_not_polled_in_a_loop() {
    let (_, polls, _) = expect_ready(await_greeting("Ada", DELAY));
    assert!(
        polls <= 3,
        "the greeting was polled {} times before it was ready, where a timer-driven future \
         needs about 2 polls: it wakes its own task when it has nothing new to report (a busy \
         loop); let tokio's timer wake it once, when the delay is over",
        polls
    );
}
