use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::{CardEvent, Events, Terminal, connect, wait_for_payment};

/// How long the grader's driver waits, on its own thread, for another task of the runtime to
/// run before it reports the event. A runtime that is free answers within milliseconds (200 ms
/// at the very worst on a loaded 2-core machine); one whose thread a blocking receive holds
/// never answers, so this is also the stall a blocked runtime suffers in these checks.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A quiet spell at the terminal (real time): no event comes, and nothing should poll.
const QUIET: Duration = Duration::from_millis(500);
/// Polls of `next()` a quiet spell may see: none is needed (the event wakes it).
const QUIET_POLLS: usize = 2;
/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_millis(2500);
const OWN_CHECK: &str = "the grader's heartbeat measures the stall of a blocking receive";
const OWN_POLL_COUNT: &str = "the grader counts the polls of next() in a quiet spell itself";

const FIX: &str = "wait for events in a way that suspends the task (a channel whose receiving end \
                   can be awaited), or move the blocking receive off the runtime";
/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "the checkout never got its events: it waited for something that \
                              never came (does next() return None once the terminal is gone?)";
const ON_BLOCKED: &str = "the checkout blocked the runtime's thread and never gave it back: \
                          next() (or report) waited for the terminal without suspending the task";
const ON_BUSY: &str = "the checkout kept the runtime busy without getting its events: next() \
                       checks again in a loop (try_recv, yield) instead of suspending the task";

#[derive(Clone, Copy, Debug)]
enum Flavour {
    CurrentThread,
    /// A multi-thread runtime with a single worker: a blocked worker cannot hide behind a
    /// second one that happens to run the other tasks.
    MultiThread,
}

/// Runs `check` as a task on a fresh real-clock runtime of the given flavour, beside a
/// heartbeat task, on a watched thread; tokio's panics become verdicts.
fn run_task<T, F>(flavour: Flavour, check: impl FnOnce(Heartbeat) -> F + Send + 'static) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    run_task_within(LIMIT, flavour, check)
}

/// [`run_task`], stopped by the watchdog after `limit` (real time) instead of `LIMIT`.
fn run_task_within<T, F>(
    limit: Duration,
    flavour: Flavour,
    check: impl FnOnce(Heartbeat) -> F + Send + 'static,
) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let run = match flavour {
        Flavour::CurrentThread => real_clock(),
        Flavour::MultiThread => real_clock().multi_thread(1),
    };
    run.allow_blocking(OWN_CHECK)
        .allow_busy(OWN_POLL_COUNT)
        .limit(limit)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .explain_panics(explain)
        .run(move || async move {
            let heartbeat = Heartbeat::start();
            match tokio::spawn(check(heartbeat)).await {
                Ok(output) => output,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        })
}

fn explain(message: &str) -> Option<String> {
    if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "next() called block_in_place, and on a current-thread runtime (the checkout's) \
             tokio panics on that: there is no other thread to hand the runtime's tasks to while \
             this one blocks; wait for events in a way that suspends the task instead"
                .to_owned(),
        )
    } else if message.contains("runtime from within a runtime") {
        Some(
            "the checkout called block_on inside async code, and tokio panics on that: you are \
             already in a task, so .await instead of blocking on a future"
                .to_owned(),
        )
    } else {
        None
    }
}

/// Waits (real time, on the driver's thread) until the checkout has started waiting: its
/// `next()` was polled, or is being polled right now.
fn checkout_is_waiting(polls: &PollStopwatch) -> bool {
    wait_until(LIMIT, || {
        let stats = polls.stats();
        stats.polls > 0 || stats.in_poll_since.is_some()
    })
}

/// What the grader's driver saw while the checkout waited for its event.
#[derive(Clone, Copy, Debug, Default)]
struct Wait {
    /// Whether another task of the runtime ran while the checkout waited.
    others_ran: bool,
    /// How long the driver waited for that.
    held: Duration,
    /// Polls of `next()` during the quiet spell that followed.
    quiet_polls: usize,
}

/// The checkout awaits one event, which the grader's driver reports only once another task of
/// the runtime has run (or `PATIENCE` is over), after a quiet spell of `quiet`.
fn await_one_event(flavour: Flavour, quiet: Duration) -> (Wait, Option<CardEvent>, PollStopwatch) {
    let polls = PollStopwatch::default();
    let watched = polls.clone();
    let (wait, event) = run_task(flavour, move |heartbeat| async move {
        let (terminal, mut events) = connect();
        let seen = Arc::new(Mutex::new(Wait::default()));
        let record = Arc::clone(&seen);
        let driver_polls = watched.clone();
        let driver = thread::spawn(move || {
            if !checkout_is_waiting(&driver_polls) {
                return;
            }
            let started = Instant::now();
            let others_ran = heartbeat.answered_within(PATIENCE);
            let held = started.elapsed();
            let before = driver_polls.stats().polls;
            thread::sleep(quiet);
            let quiet_polls = driver_polls.stats().polls - before;
            *record.lock().unwrap() = Wait {
                others_ran,
                held,
                quiet_polls,
            };
            terminal.report(CardEvent::CardInserted);
        });
        let event = watched.watch(events.next()).await;
        // If the event came, the driver recorded what it saw before reporting it.
        drop(driver);
        let wait = *seen.lock().unwrap();
        (wait, event)
    });
    (wait, event, polls)
}

/// `next()` returned the event the driver reported, not something else, or earlier.
fn assert_got_the_event(event: Option<CardEvent>) {
    assert_eq!(
        event,
        Some(CardEvent::CardInserted),
        "next() returned {event:?} while the terminal was still connected and about to report \
         a card: it should wait for the next event and return it"
    );
}

fn waits_without_blocking(flavour: Flavour) {
    let (wait, event, _) = await_one_event(flavour, Duration::ZERO);
    assert_got_the_event(event);
    assert!(
        wait.others_ran,
        "waiting for the next card event held the runtime's thread for {} ms (a blocking \
         receive inside async code): another task of the runtime (the grader's heartbeat, ready \
         the whole time) could not run once; {FIX}",
        wait.held.as_millis()
    );
}

#[test]
fn other_tasks_run_while_the_checkout_waits() {
    waits_without_blocking(Flavour::CurrentThread);
}

#[test]
fn other_tasks_run_while_the_checkout_waits_on_a_multi_thread_runtime() {
    waits_without_blocking(Flavour::MultiThread);
}

#[test]
fn nothing_polls_while_no_event_comes() {
    let (wait, event, polls) = await_one_event(Flavour::CurrentThread, QUIET);
    assert_got_the_event(event);
    assert!(
        wait.quiet_polls <= QUIET_POLLS,
        "while no event came for {} ms, next() was polled {} times: it wakes its own task to \
         look again and again (a polling loop: CPU spent for nothing, and each poll held the \
         thread for up to {} ms), where it should sleep until the driver's report wakes it",
        QUIET.as_millis(),
        wait.quiet_polls,
        polls.stats().longest.as_millis()
    );
}

/// Runs the driver on a thread of its own: reports `events`, then drops the terminal. The gate
/// opens once every report has returned.
fn drive(terminal: Terminal, events: Vec<CardEvent>) -> Arc<Gate> {
    let done = Gate::new(PATIENCE);
    let reported = Arc::clone(&done);
    thread::spawn(move || {
        for event in events {
            terminal.report(event);
        }
        drop(terminal);
        reported.open();
    });
    done
}

/// Waits, suspended, until the driver has reported everything (or `PATIENCE` is over, for a
/// report that waits for the checkout), so that what the checkout gets does not depend on how
/// the driver's thread and the checkout happen to interleave.
async fn until_reported(done: Arc<Gate>) {
    let _ = tokio::task::spawn_blocking(move || done.wait()).await;
}

/// Runs `report` on a thread of its own, as the driver does, and hands the terminal back once
/// it is done (the checkout's task is suspended meanwhile, not blocked).
async fn on_the_drivers_thread(terminal: Terminal, report: fn(&Terminal)) -> Terminal {
    let driver = thread::spawn(move || {
        report(&terminal);
        terminal
    });
    tokio::task::spawn_blocking(move || driver.join())
        .await
        .ok()
        .and_then(Result::ok)
        .expect("report panicked on the driver's thread")
}

/// Every event until `next()` returns `None`.
async fn drain(events: &mut Events) -> Vec<CardEvent> {
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        seen.push(event);
    }
    seen
}

#[test]
fn events_come_in_order_then_none_once_the_terminal_is_gone() {
    let reported = vec![
        CardEvent::CardInserted,
        CardEvent::PinEntered,
        CardEvent::Declined,
        CardEvent::CardInserted,
        CardEvent::Approved { cents: 12_950 },
    ];
    let expected = reported.clone();
    let (early, seen) = run_task(Flavour::CurrentThread, move |_heartbeat| async move {
        // One event before the checkout waits at all, then the rest, all from the driver's
        // thread (report is called there, never on the runtime).
        let (terminal, mut events) = connect();
        let terminal = on_the_drivers_thread(terminal, |terminal| {
            terminal.report(CardEvent::PinEntered);
        })
        .await;
        let early = events.next().await;
        until_reported(drive(terminal, reported)).await;
        (early, drain(&mut events).await)
    });
    assert_eq!(
        early,
        Some(CardEvent::PinEntered),
        "an event reported before the checkout waited should be kept for its next()"
    );
    assert_eq!(
        seen, expected,
        "the checkout should get every event the terminal reported, in order, and then None \
         once the terminal is gone"
    );
}

#[test]
fn a_payment_settles_on_approval_decline_or_a_lost_terminal() {
    let cases: Vec<(Vec<CardEvent>, Option<u64>)> = vec![
        (
            vec![
                CardEvent::CardInserted,
                CardEvent::PinEntered,
                CardEvent::Approved { cents: 4_599 },
            ],
            Some(4_599),
        ),
        (vec![CardEvent::CardInserted, CardEvent::Declined], None),
        (vec![CardEvent::CardInserted], None),
        (vec![], None),
    ];
    for (reported, expected) in cases {
        let shown = format!("{reported:?}");
        let settled = run_task(Flavour::CurrentThread, move |_heartbeat| async move {
            let (terminal, mut events) = connect();
            until_reported(drive(terminal, reported)).await;
            wait_for_payment(&mut events).await
        });
        assert_eq!(
            settled, expected,
            "with the terminal reporting {shown} and then going away, wait_for_payment should \
             return {expected:?}"
        );
    }
}

// --- Cancellation, and bursts the checkout does not keep up with ------------------------------

/// A burst of events the driver reports while the checkout is busy elsewhere: more than any
/// channel capacity a learner is likely to pick.
const BURST: u64 = 5_000;
/// A check with a burst still running after this long (real time) is stopped by the watchdog:
/// reading a burst takes milliseconds with a channel, but a `next()` that hops to the blocking
/// pool for each event takes much longer on a loaded machine, and must still get to the end.
const BURST_LIMIT: Duration = Duration::from_secs(6);

fn burst_event(n: u64) -> CardEvent {
    CardEvent::Approved { cents: n }
}

/// What came of a burst.
enum Burst {
    /// Every report returned while the checkout read nothing; then the checkout got these.
    Delivered(Vec<CardEvent>),
    /// Only this many reports had returned after `PATIENCE`: the next one waits for the
    /// checkout to make room.
    ReportBlocked(u64),
}

/// The driver reports `BURST` events and goes away, while the checkout reads nothing until
/// every report has returned (or `PATIENCE` is over); then the checkout reads them all.
fn burst_while_the_checkout_is_busy() -> Burst {
    run_task_within(
        BURST_LIMIT,
        Flavour::CurrentThread,
        |_heartbeat| async move {
            let (terminal, mut events) = connect();
            let returned = Arc::new(AtomicU64::new(0));
            let counted = Arc::clone(&returned);
            let all_reported = Gate::new(PATIENCE);
            let reported = Arc::clone(&all_reported);
            thread::spawn(move || {
                for n in 0..BURST {
                    terminal.report(burst_event(n));
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                reported.open();
            });
            // Busy elsewhere: this task is suspended (not blocked) and reads nothing meanwhile.
            let waiting = Arc::clone(&all_reported);
            let _ = tokio::task::spawn_blocking(move || waiting.wait()).await;
            let returned_while_busy = returned.load(Ordering::SeqCst);
            if returned_while_busy < BURST {
                // The driver is stuck in report; it gets out when the checkout's end is dropped.
                return Burst::ReportBlocked(returned_while_busy);
            }
            Burst::Delivered(drain(&mut events).await)
        },
    )
}

fn report_blocked(returned: u64) -> String {
    format!(
        "report blocked the driver's thread: while the checkout was busy and read nothing, the \
         driver's report of event {} had not returned after {} ms (the {returned} before it \
         had): report waits for the checkout to make room, and a driver that waits misses what \
         happens at the terminal; hand each event over without waiting for the checkout",
        returned + 1,
        PATIENCE.as_millis()
    )
}

#[test]
fn report_never_blocks_the_driver() {
    if let Burst::ReportBlocked(returned) = burst_while_the_checkout_is_busy() {
        panic!("{}", report_blocked(returned));
    }
}

#[test]
fn a_burst_loses_no_event() {
    let got = match burst_while_the_checkout_is_busy() {
        Burst::Delivered(got) => got,
        // The burst never got to the checkout whole: the driver was still stuck in report.
        Burst::ReportBlocked(returned) => panic!("{}", report_blocked(returned)),
    };
    let expected: Vec<CardEvent> = (0..BURST).map(burst_event).collect();
    if got == expected {
        return;
    }
    let kept = got.len();
    if kept < expected.len() {
        let first_lost = expected
            .iter()
            .position(|event| !got.contains(event))
            .map_or(String::new(), |n| {
                format!(" (the first lost: event {})", n + 1)
            });
        panic!(
            "while the checkout was busy, the driver reported a burst of {BURST} events, and \
             the checkout got {kept} of them{first_lost}: the events report had no room for \
             were dropped; keep every event, however many come before the checkout reads"
        );
    }
    panic!(
        "the driver reported a burst of {BURST} events, and the checkout got {kept}, out of \
         order or repeated: it should get every event once, in the order reported"
    );
}

/// Runs `check` as a task on a current-thread runtime whose blocking pool has a single thread,
/// on a watched thread: blocking tasks then run one after the other, in the order spawned, so
/// what a blocking task left behind by a cancelled `next()` does is the same on every run.
fn run_with_one_blocking_thread<T, F>(check: impl FnOnce() -> F + Send + 'static) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Watchdog::new(LIMIT, ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .run(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .max_blocking_threads(1)
                .build()
                .expect("the grader could not build a tokio runtime");
            let outcome = runtime.block_on(async move { tokio::spawn(check()).await });
            // A blocking receive the learner left running must not keep the check alive.
            runtime.shutdown_background();
            match outcome {
                Ok(output) => output,
                Err(error) => {
                    let payload = error.into_panic();
                    match explain(panic_message(&*payload)) {
                        Some(verdict) => panic!("{verdict}"),
                        None => std::panic::resume_unwind(payload),
                    }
                }
            }
        })
}

#[test]
fn a_cancelled_next_loses_no_event() {
    let (waited, seen) = run_with_one_blocking_thread(|| async move {
        let (terminal, mut events) = connect();
        // The checkout waits for an event, then gives up on it (a timeout, or the other
        // branch of a select! won): the pending next() is dropped.
        let waited = {
            let next = std::pin::pin!(events.next());
            futures::poll!(next).is_pending()
        };
        // (Not waiting for the driver here: the blocking pool's one thread is the learner's.)
        drive(
            terminal,
            vec![CardEvent::PinEntered, CardEvent::Approved { cents: 2_500 }],
        );
        (waited, drain(&mut events).await)
    });
    assert!(
        waited,
        "next() returned at once although no event had been reported: it should wait for one"
    );
    let expected = vec![CardEvent::PinEntered, CardEvent::Approved { cents: 2_500 }];
    assert_eq!(
        seen, expected,
        "after a next() was cancelled while it waited (dropped before any event came, as a \
         timeout or a select! does), the terminal reported {expected:?} and went away, and the \
         checkout got {seen:?}: the cancelled next() left a receive running that took an event \
         and lost it; waiting for an event must leave nothing behind when it is dropped"
    );
}
