//! Grades `replay` on a current-thread runtime beside a second task (the gateway's heartbeat),
//! which counts its turns: every `apply` wakes it, and it can only run when `replay` gives the
//! thread back. Counting, in `apply`, the ticks applied in a row on the runtime's thread while
//! the heartbeat's turn count stood still measures how long `replay` kept the thread: a fact of
//! the single thread's schedule, not of timing. Ticks applied on another thread (the blocking
//! pool) cannot starve the runtime themselves; there, every 1,000th tick waits (on that thread)
//! for the heartbeat to take a turn, which it can unless the runtime's thread is blocked waiting
//! for the ticks. A multi-thread runtime is used for the result alone.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use tokio::sync::Notify;

use crate::exercise::{Tick, replay};

/// The contract: other tasks get a turn at least this often.
const MOST_IN_A_ROW: usize = 1000;
/// How long a tick applied off the runtime waits for the heartbeat's turn (real time; a free
/// runtime takes milliseconds). Longer than `HUNG`, so that a runtime thread blocked waiting
/// for those ticks is always named by the run's watchdog, with the same words every time.
const PATIENCE: Duration = Duration::from_secs(2);
/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_secs(4);

const _: () = assert!(PATIENCE.as_millis() > HUNG.as_millis());

/// A day's ticks: `count` of them, prices wandering around 100.
fn ticks(count: usize) -> Vec<Tick> {
    (0..count)
        .map(|i| Tick {
            price: 9_900 + (i * 7919 % 200) as u32,
            quantity: (i % 13) as i64 - 6,
        })
        .collect()
}

/// What `apply` saw.
#[derive(Default)]
struct Log {
    applied: Vec<Tick>,
    /// Heartbeat turns seen at the last tick applied on the runtime's thread.
    turns_then: usize,
    /// Ticks applied in a row on the runtime's thread with no heartbeat turn; the longest run.
    in_a_row: usize,
    longest: usize,
    /// Ticks applied on other threads.
    elsewhere: usize,
    /// The tick (off the runtime) after which the heartbeat could not take a turn in time.
    stalled_at: Option<usize>,
    /// How many ticks had been applied when `replay` returned.
    at_return: usize,
}

/// The gateway's heartbeat: a task that takes a turn each time it is woken.
#[derive(Clone)]
struct Heartbeat {
    wake: Arc<Notify>,
    turns: Arc<AtomicUsize>,
}

impl Heartbeat {
    fn start() -> Self {
        let heartbeat = Heartbeat {
            wake: Arc::new(Notify::new()),
            turns: Arc::new(AtomicUsize::new(0)),
        };
        let inside = heartbeat.clone();
        tokio::spawn(async move {
            loop {
                inside.wake.notified().await;
                inside.turns.fetch_add(1, SeqCst);
            }
        });
        heartbeat
    }

    /// From a thread that is not the runtime's: wakes the heartbeat and waits for its turn.
    fn turn_taken_within(&self, patience: Duration) -> bool {
        let before = self.turns.load(SeqCst);
        self.wake.notify_one();
        let started = Instant::now();
        while self.turns.load(SeqCst) == before {
            if started.elapsed() > patience {
                return false;
            }
            thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

/// The grader's `apply`: records the tick and what the heartbeat could do meanwhile.
fn apply(log: Arc<Mutex<Log>>, heartbeat: Heartbeat, runtime: ThreadId) -> impl FnMut(&Tick) {
    move |tick| {
        let mut log = log.lock().unwrap();
        log.applied.push(*tick);
        if thread::current().id() == runtime {
            let turns = heartbeat.turns.load(SeqCst);
            log.in_a_row = if turns == log.turns_then { log.in_a_row + 1 } else { 1 };
            log.turns_then = turns;
            log.longest = log.longest.max(log.in_a_row);
            heartbeat.wake.notify_one();
        } else {
            log.elsewhere += 1;
            if log.elsewhere % MOST_IN_A_ROW == 0
                && log.stalled_at.is_none()
                && !heartbeat.turn_taken_within(PATIENCE)
            {
                log.stalled_at = Some(log.applied.len());
            }
        }
    }
}

fn explain(message: &str) -> Option<String> {
    message
        .contains("only when running on the multi-threaded runtime")
        .then(|| {
            "replay called block_in_place on the gateway's current-thread runtime, and tokio \
             panicked: there is no other thread to hand the heartbeat to; keep the loop on the \
             runtime and give the other tasks a turn as it goes"
                .to_owned()
        })
}

/// Replays `count` ticks on a current-thread runtime beside the heartbeat.
fn replay_beside_the_heartbeat(count: usize) -> (usize, Log) {
    let log = Arc::new(Mutex::new(Log::default()));
    let seen = Arc::clone(&log);
    let applied = paused_clock()
        .limit(LIMIT)
        .explain_panics(explain)
        .on_blocked(
            "replay held the runtime's thread while the ticks were applied (waiting for \
             another thread, or blocking in the loop), so the heartbeat could not run: while \
             the work goes on, the runtime's thread must go back to the scheduler",
        )
        .run(move || async move {
            let heartbeat = Heartbeat::start();
            let runtime = thread::current().id();
            let applied = replay(ticks(count), apply(Arc::clone(&seen), heartbeat, runtime)).await;
            let mut log = seen.lock().unwrap();
            log.at_return = log.applied.len();
            applied
        });
    let log = std::mem::take(&mut *log.lock().unwrap());
    (applied, log)
}

/// Every tick was applied by the time `replay` returned.
fn check_done_when_returning(log: &Log, count: usize) {
    assert!(
        log.at_return == count || log.at_return == log.applied.len(),
        "replay returned before the day's {count} ticks were all applied (the rest were \
         applied after it returned, or never): the work it moved elsewhere was left running \
         instead of awaited; return only once every tick is applied"
    );
}

fn check_applied(applied: usize, log: &Log, count: usize) {
    assert!(
        log.applied == ticks(count),
        "replay applied {} tick(s) where the day had {count}: every tick once, in order{}",
        log.applied.len(),
        if log.applied.len() == count { " (the order differs)" } else { "" }
    );
    assert_eq!(
        applied, count,
        "replay returned {applied}, but applied {count} tick(s): return how many were applied"
    );
}

fn check_heartbeat(log: &Log) {
    assert!(
        log.longest <= MOST_IN_A_ROW,
        "replay applied {} ticks in a row on the runtime's only thread without letting another \
         task run (the heartbeat, woken at the first of them, waited through all of them): a \
         loop that never returns Pending keeps a current-thread runtime's thread to itself \
         (yielding the OS thread does not help, the other tasks live on this one; nor does a \
         future that would yield but is never awaited); give the runtime's scheduler a turn \
         at least every {MOST_IN_A_ROW} ticks",
        log.longest
    );
    if let Some(tick) = log.stalled_at {
        panic!(
            "replay applied the ticks on another thread, but the heartbeat could not take a \
             turn for {} s after tick {tick}: the runtime's thread sat blocked, waiting for that \
             thread, instead of returning to the scheduler; .await the result of the work you \
             moved away",
            PATIENCE.as_secs()
        );
    }
}

#[test]
fn lets_the_heartbeat_run_during_a_long_replay() {
    let count = 20_000;
    let (applied, log) = replay_beside_the_heartbeat(count);
    check_done_when_returning(&log, count);
    check_heartbeat(&log);
    check_applied(applied, &log, count);
}

#[test]
fn replays_a_short_day_in_order() {
    let count = 1_500;
    let (applied, log) = replay_beside_the_heartbeat(count);
    check_done_when_returning(&log, count);
    check_heartbeat(&log);
    check_applied(applied, &log, count);
}

#[test]
fn replays_nothing_on_a_day_without_ticks() {
    let (applied, log) = replay_beside_the_heartbeat(0);
    check_done_when_returning(&log, 0);
    check_applied(applied, &log, 0);
}

#[test]
fn replays_on_a_multi_thread_runtime() {
    let count = 5_000;
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    let applied = real_clock()
        .multi_thread(2)
        .limit(LIMIT)
        .run_spawned(move || async move {
            replay(ticks(count), move |tick: &Tick| seen.lock().unwrap().push(*tick)).await
        });
    let applied_ticks = log.lock().unwrap().clone();
    assert!(
        applied_ticks == ticks(count) && applied == count,
        "on a multi-thread runtime, replay applied {} tick(s) and returned {applied}, where the \
         day had {count}: every tick once, in order",
        applied_ticks.len()
    );
}
