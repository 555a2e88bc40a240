//! Blocking inside async code: a per-poll stopwatch around a future, and a ticker that
//! measures how long the runtime went without running its other tasks.
//!
//! A poll should return in microseconds. One that takes hundreds of milliseconds held the
//! thread: `std::thread::sleep`, blocking I/O, a long CPU loop, or rayon work waited on inside
//! async code. [`watch_polls`] times every poll of one future (wall clock, so it works on a
//! paused tokio clock too) and reports the longest; [`Ticker`] sees the same mistake from the
//! outside, as the largest gap between the ticks of a task sharing the runtime.
//!
//! Both measure real time, so the bounds are generous. Measured with `grading/stress.sh` on a
//! 2-core machine with both cores kept busy: legitimate polls took at most a few milliseconds,
//! but a thread that never blocks still went up to 200 ms without running (the scheduler, other
//! processes). The mistakes these catch block for as long as a sleep or a computation the
//! grader chooses: make that a second or more, well above [`BLOCKING_POLL`] and
//! [`RUNTIME_STALL`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::cpu::seconds;

/// A poll that takes this long blocked its thread: far beyond what a poll that does not block
/// takes on a loaded machine, even one descheduled for a while, and below the one-second (or
/// longer) waits the exercises provoke.
pub const BLOCKING_POLL: Duration = Duration::from_millis(500);

/// A runtime that went this long without running a ready task was held by something: 2.5 times
/// the largest gap measured between the ticks of a [`Ticker`] on a loaded machine.
pub const RUNTIME_STALL: Duration = Duration::from_millis(500);

/// What usually blocks a thread inside async code.
pub const BLOCKING_CAUSES: &str = "std::thread::sleep, blocking I/O, a long CPU loop, rayon \
                                   work on a runtime thread";

/// The usual way out.
pub const BLOCKING_FIX: &str = "use tokio::time::sleep / spawn_blocking";

/// "one poll took 2.00 s: something inside async code blocked the thread (...); `fix`".
pub fn blocking_poll_verdict(took: Duration, fix: &str) -> String {
    format!(
        "one poll took {}: something inside async code blocked the thread ({BLOCKING_CAUSES}); \
         {fix}",
        seconds(took)
    )
}

/// Timings of the polls of one future.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Polls that returned.
    pub polls: usize,
    /// The longest poll that returned.
    pub longest: Duration,
    /// Which poll that was (from 1).
    pub longest_poll: usize,
    /// All polls together.
    pub busy: Duration,
    /// When the poll in progress started, if one is in progress now.
    pub in_poll_since: Option<Instant>,
}

impl PollStats {
    /// How long the poll in progress has been running, if one is.
    pub fn in_poll_for(&self) -> Option<Duration> {
        self.in_poll_since.map(|since| since.elapsed())
    }

    /// `Err(verdict)` if a poll (finished or still running) took `limit` or longer.
    pub fn check_no_blocking(&self, limit: Duration, fix: &str) -> Result<(), String> {
        let longest = self.in_poll_for().unwrap_or_default().max(self.longest);
        if longest >= limit {
            Err(blocking_poll_verdict(longest, fix))
        } else {
            Ok(())
        }
    }
}

/// Shared view of a watched future's [`PollStats`].
#[derive(Clone, Default, Debug)]
pub struct PollStopwatch {
    stats: Arc<Mutex<PollStats>>,
}

impl PollStopwatch {
    /// The timings so far.
    pub fn stats(&self) -> PollStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Wraps `future` so that its polls are timed by this stopwatch.
    pub fn watch<F: Future>(&self, future: F) -> PollWatch<F> {
        PollWatch {
            inner: Box::pin(future),
            stopwatch: self.clone(),
        }
    }

    /// Panics with the blocking-poll verdict if a poll took `limit` or longer.
    pub fn assert_no_blocking(&self, limit: Duration, fix: &str) {
        if let Err(verdict) = self.stats().check_no_blocking(limit, fix) {
            panic!("{verdict}");
        }
    }
}

/// A future whose every poll is timed; made by [`watch_polls`].
pub struct PollWatch<F: Future> {
    inner: Pin<Box<F>>,
    stopwatch: PollStopwatch,
}

/// Wraps `future` so that each of its polls is timed (wall clock).
///
/// ```
/// # use std::time::Duration;
/// # use asynclings_grading::blocking::{watch_polls, BLOCKING_POLL, BLOCKING_FIX};
/// let (watched, stopwatch) = watch_polls(async { std::thread::sleep(Duration::from_millis(600)) });
/// futures::executor::block_on(watched);
/// let verdict = stopwatch.stats().check_no_blocking(BLOCKING_POLL, BLOCKING_FIX).unwrap_err();
/// assert!(verdict.starts_with("one poll took "), "{verdict}"); // 600 ms or more: a sleep never ends early
/// ```
pub fn watch_polls<F: Future>(future: F) -> (PollWatch<F>, PollStopwatch) {
    let stopwatch = PollStopwatch::default();
    (stopwatch.watch(future), stopwatch)
}

impl<F: Future> Future for PollWatch<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let started = Instant::now();
        self.stopwatch
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .in_poll_since = Some(started);
        let result = self.inner.as_mut().poll(cx);
        let took = started.elapsed();
        let mut stats = self
            .stopwatch
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        stats.in_poll_since = None;
        stats.polls += 1;
        stats.busy += took;
        if took > stats.longest {
            stats.longest = took;
            stats.longest_poll = stats.polls;
        }
        result
    }
}

/// What a [`Ticker`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TickStats {
    pub ticks: usize,
    /// How often it asked to tick.
    pub period: Duration,
    /// The largest real time between two ticks (or since the last one, if it is overdue).
    pub largest_gap: Duration,
}

impl TickStats {
    /// How much later than due the latest-running tick came.
    pub fn stall(&self) -> Duration {
        self.largest_gap.saturating_sub(self.period)
    }

    /// `Err(verdict)` if the runtime stalled for `limit` or longer.
    pub fn check_responsive(&self, limit: Duration, fix: &str) -> Result<(), String> {
        if self.stall() >= limit {
            Err(format!(
                "the runtime stalled for {} ms (a task due every {} ms waited that long for its \
                 turn): something held the runtime thread without awaiting ({BLOCKING_CAUSES}); \
                 {fix}",
                self.stall().as_millis(),
                self.period.as_millis()
            ))
        } else {
            Ok(())
        }
    }
}

struct TickState {
    ticks: usize,
    last: Instant,
    largest_gap: Duration,
}

/// A task on the current runtime that ticks every `period` and records the largest real-time
/// gap between its ticks: on a current-thread runtime, a gap is a stretch when some other task
/// held the thread.
///
/// It sleeps with `tokio::time::sleep`, so on a paused clock it keeps virtual time moving in
/// steps of `period`; do not combine it with [`crate::runtime::Run::would_hang_after`], which
/// needs a runtime that can go idle. On a multi-thread runtime it only sees the worker it
/// happens to run on.
pub struct Ticker {
    period: Duration,
    state: Arc<Mutex<TickState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Ticker {
    /// Starts ticking; call it inside the runtime.
    pub fn start(period: Duration) -> Self {
        let state = Arc::new(Mutex::new(TickState {
            ticks: 0,
            last: Instant::now(),
            largest_gap: Duration::ZERO,
        }));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let now = Instant::now();
                let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
                let gap = now - state.last;
                state.largest_gap = state.largest_gap.max(gap);
                state.last = now;
                state.ticks += 1;
            }
        });
        Self {
            period,
            state,
            task,
        }
    }

    /// What it saw so far, counting an overdue tick's gap up to now.
    pub fn stats(&self) -> TickStats {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        TickStats {
            ticks: state.ticks,
            period: self.period,
            largest_gap: state.largest_gap.max(state.last.elapsed()),
        }
    }

    /// Stops the ticker and returns what it saw.
    pub fn stop(self) -> TickStats {
        let stats = self.stats();
        self.task.abort();
        stats
    }
}
