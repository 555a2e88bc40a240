//! Real-time watchdogs that live *outside* the thread they guard, and named probes that say
//! what a stuck check was waiting for.
//!
//! `tokio::time::timeout` cannot fire while the runtime thread is blocked (a `block_on` inside
//! async code, a `std::thread::sleep`, a deadlock): nothing polls the timer. A watchdog thread
//! can, so a grader fails with a precise message instead of hitting the grade's time limit.
//! When it fires, the verdict says whether the stuck thread was busy on the CPU (a loop that
//! never waits) or idle (blocked, or waiting for a wake-up that never came), and which
//! [`Probes`] were still pending.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use crate::blocking::PollStopwatch;
use crate::cpu::{StateLooks, ThreadCpu};
use crate::guard::HUNG;
use crate::health::{Explanations, Health, Snapshot};
use crate::pending::{PendingSources, StillPending, waiting_on};
use crate::units::{format_duration, polled_times};

/// The usual explanation when a check never finishes.
pub const DEADLOCK: &str = "deadlock, or never woken: the check never finished";

/// How often a watchdog looks at what it watches.
const LOOK_EVERY: Duration = Duration::from_millis(10);

/// Runs `work` on a fresh thread and waits at most `limit` (real time) for it.
///
/// On timeout the test fails with `explanation`, which should say what the learner's code was
/// probably doing; the stuck thread is abandoned (the test process ends right after).
pub fn run_with_watchdog<T, W>(limit: Duration, explanation: &str, work: W) -> T
where
    T: Send + 'static,
    W: FnOnce() -> T + Send + 'static,
{
    Watchdog::new(limit, explanation).run(work)
}

/// A reusable watchdog configuration.
///
/// Besides the limit, it watches the hand polls made on its thread (see [`crate::guard`]): one
/// that has not returned after [`HUNG`] ends the check at once, worded with the explanation
/// for blocked polls.
pub struct Watchdog {
    limit: Duration,
    explanations: Explanations,
    sources: PendingSources,
    stopwatch: Option<PollStopwatch>,
    health: Option<Health>,
    allow_blocking: bool,
    allow_busy: bool,
}

impl Watchdog {
    /// `explanation` words every kind of hang (see [`Watchdog::on_blocked`],
    /// [`Watchdog::on_busy`] and [`Watchdog::on_never_woken`] to word each on its own).
    pub fn new(limit: Duration, explanation: &str) -> Self {
        let own = (explanation != DEADLOCK).then(|| explanation.to_owned());
        Self {
            limit,
            explanations: Explanations {
                blocked: own.clone(),
                busy: own.clone(),
                never_woken: own,
            },
            sources: PendingSources::default(),
            stopwatch: None,
            health: None,
            allow_blocking: false,
            allow_busy: false,
        }
    }

    /// The explanation when a poll never returned (or the runtime stalled).
    pub fn on_blocked(mut self, explanation: &str) -> Self {
        self.explanations.blocked = Some(explanation.to_owned());
        self
    }

    /// The explanation when the runtime never went idle (a busy loop).
    pub fn on_busy(mut self, explanation: &str) -> Self {
        self.explanations.busy = Some(explanation.to_owned());
        self
    }

    /// The explanation when the work sat idle until the limit (a deadlock, a lost wake-up).
    pub fn on_never_woken(mut self, explanation: &str) -> Self {
        self.explanations.never_woken = Some(explanation.to_owned());
        self
    }

    pub(crate) fn explanations(mut self, explanations: Explanations) -> Self {
        self.explanations = explanations;
        self
    }

    /// On timeout, also say if a poll timed by `stopwatch` is still running (the thread is
    /// blocked inside it).
    pub fn timing(mut self, stopwatch: &PollStopwatch) -> Self {
        self.stopwatch = Some(stopwatch.clone());
        self
    }

    pub(crate) fn health(
        mut self,
        health: &Health,
        allow_blocking: bool,
        allow_busy: bool,
    ) -> Self {
        self.stopwatch = Some(health.stopwatch().clone());
        self.health = Some(health.clone());
        self.allow_blocking = allow_blocking;
        self.allow_busy = allow_busy;
        self
    }

    pub(crate) fn sources(mut self, sources: &PendingSources) -> Self {
        self.sources = sources.clone();
        self
    }

    /// On timeout, also name what `pending` still waits for ([`Probes`] or a
    /// [`crate::timeline::Timeline`]).
    pub fn naming<P: StillPending + Clone + 'static>(self, pending: &P) -> Self {
        self.sources.add(Box::new(pending.clone()));
        self
    }

    /// Runs `work` on its own thread; panics with the verdict if it outlives the limit (or a
    /// poll on it never returns). A panic inside `work` is re-raised with its own message.
    pub fn run<T, W>(&self, work: W) -> T
    where
        T: Send + 'static,
        W: FnOnce() -> T + Send + 'static,
    {
        match self.try_run(work) {
            Ok(value) => value,
            Err(verdict) => {
                crate::guard::claim_report();
                crate::panics::flush_repeats();
                panic!("{verdict}")
            }
        }
    }

    /// Like [`Watchdog::run`], but returns the verdict instead of panicking.
    pub fn try_run<T, W>(&self, work: W) -> Result<T, String>
    where
        T: Send + 'static,
        W: FnOnce() -> T + Send + 'static,
    {
        let (done, finished) = mpsc::channel();
        let (cpu_tx, cpu_rx) = mpsc::channel();
        let worker = thread::Builder::new()
            .name("watched".into())
            .spawn(move || {
                let _ = cpu_tx.send(ThreadCpu::current());
                let _ = done.send(work());
            })
            .expect("the grader could not start a thread");
        let watched = crate::guard::watch_thread(worker.thread().id());
        let started = Instant::now();
        let mut thread_cpu = None;
        let mut looks = StateLooks::default();
        loop {
            match finished.recv_timeout(LOOK_EVERY) {
                Ok(value) => return Ok(value),
                Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!("the worker sends its result before it ends"),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let waited = started.elapsed();
            if thread_cpu.is_none() {
                thread_cpu = cpu_rx.try_recv().ok().flatten();
            }
            // Look while no ping of the heartbeat is outstanding: a thread woken to answer one
            // is runnable for a moment (longer on a loaded machine) whatever it does otherwise.
            let pinged = self
                .health
                .as_ref()
                .is_some_and(|health| health.inner().stall_now().is_some());
            if let (Some(cpu), false) = (&thread_cpu, pinged) {
                looks.look(cpu);
            }
            let snapshot = self.snapshot(worker.thread().id());
            let verdict = if waited >= self.limit {
                Some(self.limit_verdict(&snapshot, &looks))
            } else {
                snapshot
                    .stuck(HUNG, self.allow_blocking, self.allow_busy, false)
                    .map(|stuck| self.with_pending(stuck.verdict(&self.explanations)))
            };
            if let Some(verdict) = verdict {
                // The stuck thread stays stuck: its polls must not be reported a second time,
                // and its panics (nor those of its runtime's threads) not printed after this.
                std::mem::forget(watched);
                crate::guard::abandon(worker.thread().id());
                if let Some(health) = &self.health {
                    health.abandon_threads();
                }
                return Err(verdict);
            }
        }
    }

    fn snapshot(&self, thread: thread::ThreadId) -> Snapshot {
        let mut snapshot = match &self.health {
            Some(health) => health.snapshot(),
            None => Snapshot {
                in_poll: self
                    .stopwatch
                    .as_ref()
                    .and_then(|s| s.stats().in_poll_for()),
                ..Snapshot::default()
            },
        };
        snapshot.hand_poll = crate::guard::hand_poll_on(thread);
        snapshot
    }

    /// A blocking or busy verdict with what was still pending appended.
    fn with_pending(&self, verdict: String) -> String {
        let pending = self.sources.describe(true);
        if pending.is_empty() {
            return verdict;
        }
        let list = pending.join(", ");
        match verdict.strip_suffix(')') {
            Some(open) => format!("{open}; still waiting on: {list})"),
            None => format!("{verdict} (still waiting on: {list})"),
        }
    }

    /// The verdict at the limit: a blocked or busy runtime if that is what it was (judged
    /// against half the limit), else the explanation for an idle check that nothing woke.
    fn limit_verdict(&self, snapshot: &Snapshot, looks: &StateLooks) -> String {
        if let Some(stuck) = snapshot.stuck(self.limit / 2, false, false, true) {
            return self.with_pending(stuck.verdict(&self.explanations));
        }
        let explanation = self.explanations.never_woken.as_deref().unwrap_or(DEADLOCK);
        // The limit, not the time measured when the watchdog looked (which a loaded machine
        // delays by a few ms): the same verdict on every run.
        let mut verdict = format!(
            "{explanation} (still running at the {} limit",
            format_duration(self.limit)
        );
        if snapshot.in_poll.is_some() {
            verdict.push_str("; a poll had not returned by then: it blocked the thread");
        }
        // Whether the stuck thread was runnable (spinning) or asleep in the kernel (blocked, or
        // waiting for a wake-up), from its state at each look: a loaded machine gives a
        // spinning thread little CPU, but it stays runnable.
        match looks.mostly_asleep() {
            Some(false) => verdict.push_str(
                "; its thread was busy on the CPU: a loop that never waits, such as a task that \
                 wakes itself or spins on a flag",
            ),
            Some(true) => verdict.push_str(
                "; its thread sat idle: blocked (a lock, a join, a block_on) or waiting for a \
                 wake-up that never came",
            ),
            None => {}
        }
        verdict.push_str(&waiting_on(&self.sources.describe(true)));
        verdict.push(')');
        verdict
    }
}

#[derive(Debug)]
struct ProbeState {
    name: String,
    since: Instant,
    polls: usize,
    end: Option<ProbeOutcome>,
    /// A synchronous section (a lock, a join) rather than a future.
    section: bool,
}

/// How an operation wrapped by [`Probes::watch`] ended, or where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// Made, still alive, never polled.
    NeverPolled,
    /// Polled, still pending.
    Pending { polls: usize },
    /// Returned `Ready` after `polls` polls.
    Finished { polls: usize },
    /// Dropped while pending (cancelled) after `polls` polls; 0: before its first poll.
    Cancelled { polls: usize },
}

/// Named operations whose progress a watchdog can report ("still waiting on: `lock b`
/// (pending for 1.5 s, polled once)"), and whose end a check can ask about: finished, or
/// cancelled (dropped while pending) after how many polls.
///
/// Wrap the awaited operations you hand to the learner's code (or that your check awaits) with
/// [`Probes::watch`], and mark synchronous sections with [`Probes::enter`]. Probes made inside
/// a [`crate::runtime::Run`] are named by its verdicts on their own; pass others to
/// [`Watchdog::naming`] or [`crate::runtime::Run::naming`].
///
/// ```
/// # use asynclings_grading::prelude::*;
/// let probes = Probes::new();
/// let order = probes.watch("send order 3", std::future::pending::<()>());
/// let waker = CountingWaker::new();
/// let mut order = Box::pin(order);
/// let _ = order.as_mut().poll(&mut waker.context());
/// drop(order); // a select! that gave up on it
/// assert_eq!(probes.outcome("send order 3"), Some(ProbeOutcome::Cancelled { polls: 1 }));
/// let verdict = probes.check_finished("send order 3", "keep the send alive across rounds").unwrap_err();
/// assert!(verdict.starts_with("`send order 3` was cancelled: dropped while still pending, after 1 poll"));
/// # use std::future::Future;
/// ```
#[derive(Clone, Default, Debug)]
pub struct Probes {
    states: Arc<Mutex<Vec<ProbeState>>>,
}

impl Probes {
    pub fn new() -> Self {
        let probes = Self::default();
        crate::pending::register(probes.clone());
        probes
    }

    /// Wraps `future`: pending from its first poll until it returns `Ready` (or is dropped).
    pub fn watch<F: Future>(&self, name: impl Into<String>, future: F) -> Probed<F> {
        let slot = self.push(name.into(), false);
        Probed {
            inner: Box::pin(future),
            probes: self.clone(),
            slot,
        }
    }

    /// Marks a synchronous section (taking a lock, joining a thread) as in progress until the
    /// guard is dropped.
    pub fn enter(&self, name: impl Into<String>) -> ProbeGuard {
        let slot = self.push(name.into(), true);
        ProbeGuard {
            probes: self.clone(),
            slot,
        }
    }

    fn push(&self, name: String, section: bool) -> usize {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states.push(ProbeState {
            name,
            since: Instant::now(),
            polls: 0,
            end: None,
            section,
        });
        states.len() - 1
    }

    fn update(&self, slot: usize, change: impl FnOnce(&mut ProbeState)) {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = states.get_mut(slot) {
            change(state);
        }
    }

    /// The operations still in progress, described with how long and how often they were
    /// polled, oldest first.
    pub fn waiting(&self) -> Vec<String> {
        self.still_pending(true)
    }

    /// The names of the operations that completed, in the order they were made.
    pub fn completed(&self) -> Vec<String> {
        let states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states
            .iter()
            .filter(|s| matches!(s.end, Some(ProbeOutcome::Finished { .. })))
            .map(|s| s.name.clone())
            .collect()
    }

    /// Every operation made so far with where it stands, in the order they were made.
    pub fn outcomes(&self) -> Vec<(String, ProbeOutcome)> {
        let states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states
            .iter()
            .filter(|s| !s.section)
            .map(|s| (s.name.clone(), outcome_of(s)))
            .collect()
    }

    /// Where the first operation named `name` stands (`None`: none was made).
    pub fn outcome(&self, name: &str) -> Option<ProbeOutcome> {
        self.outcomes()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, outcome)| outcome)
    }

    /// `Err(verdict)` unless the operation `name` ran to completion: "`send order 3` was
    /// cancelled: dropped while still pending, after 2 polls; `fix`".
    pub fn check_finished(&self, name: &str, fix: &str) -> Result<(), String> {
        match self.outcome(name) {
            Some(ProbeOutcome::Finished { .. }) => Ok(()),
            Some(ProbeOutcome::Cancelled { polls: 0 }) => Err(format!(
                "`{name}` was dropped before it was ever polled: its work never started; {fix}"
            )),
            Some(ProbeOutcome::Cancelled { polls }) => Err(format!(
                "`{name}` was cancelled: dropped while still pending, after {}, so its work \
                 stopped halfway; {fix}",
                poll_count(polls)
            )),
            Some(ProbeOutcome::Pending { polls }) => Err(format!(
                "`{name}` never finished: still pending ({}); {fix}",
                polled_times(polls)
            )),
            Some(ProbeOutcome::NeverPolled) => Err(format!(
                "`{name}` was never polled: nothing awaited it; {fix}"
            )),
            None => Err(format!(
                "`{name}` never started: nothing asked for it; {fix}"
            )),
        }
    }

    /// `Err(verdict)` unless the operation `name` was cancelled (dropped before it finished),
    /// for work a shutdown must stop: "`worker 2` was still running (pending, polled 3 times)
    /// and was never cancelled; `fix`".
    pub fn check_cancelled(&self, name: &str, fix: &str) -> Result<(), String> {
        match self.outcome(name) {
            Some(ProbeOutcome::Cancelled { .. }) => Ok(()),
            Some(ProbeOutcome::Finished { polls }) => Err(format!(
                "`{name}` ran to completion ({}) instead of being cancelled; {fix}",
                polled_times(polls)
            )),
            Some(ProbeOutcome::Pending { polls }) => Err(format!(
                "`{name}` was still running (pending, {}) and was never cancelled: it was left \
                 behind; {fix}",
                polled_times(polls)
            )),
            Some(ProbeOutcome::NeverPolled) => Err(format!(
                "`{name}` was never cancelled: it is still alive (never polled); {fix}"
            )),
            None => Err(format!(
                "`{name}` never started: nothing asked for it; {fix}"
            )),
        }
    }
}

/// "1 poll", "3 polls".
fn poll_count(polls: usize) -> String {
    match polls {
        1 => "1 poll".to_owned(),
        n => format!("{n} polls"),
    }
}

fn outcome_of(state: &ProbeState) -> ProbeOutcome {
    match state.end {
        Some(end) => end,
        None if state.polls == 0 => ProbeOutcome::NeverPolled,
        None => ProbeOutcome::Pending { polls: state.polls },
    }
}

impl StillPending for Probes {
    fn still_pending(&self, _real_time: bool) -> Vec<String> {
        // No real-time figures (how long each waited): a loaded machine changes them, and a
        // verdict must read the same on every run.
        let states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states
            .iter()
            .filter(|s| s.end.is_none() && (s.section || s.polls > 0))
            .map(|s| {
                if s.section {
                    format!("`{}` (entered, never left)", s.name)
                } else {
                    format!("`{}` (pending, {})", s.name, polled_times(s.polls))
                }
            })
            .collect()
    }
}

/// A future wrapped by [`Probes::watch`].
pub struct Probed<F: Future> {
    inner: Pin<Box<F>>,
    probes: Probes,
    slot: usize,
}

impl<F: Future> Future for Probed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let mut polls = 0;
        this.probes.update(this.slot, |s| {
            if s.polls == 0 {
                s.since = Instant::now();
            }
            s.polls += 1;
            polls = s.polls;
        });
        let result = this.inner.as_mut().poll(cx);
        if result.is_ready() {
            this.probes.update(this.slot, |s| {
                s.end = Some(ProbeOutcome::Finished { polls });
            });
        }
        result
    }
}

impl<F: Future> Drop for Probed<F> {
    fn drop(&mut self) {
        // Dropped before it finished: cancelled, and no longer awaited.
        self.probes.update(self.slot, |s| {
            if s.end.is_none() {
                s.end = Some(ProbeOutcome::Cancelled { polls: s.polls });
            }
        });
    }
}

/// Leaves a section entered with [`Probes::enter`] when dropped.
pub struct ProbeGuard {
    probes: Probes,
    slot: usize,
}

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        let polls = 0;
        self.probes.update(self.slot, |s| {
            s.end = Some(ProbeOutcome::Finished { polls })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict_of(limit_ms: u64, work: impl FnOnce() + Send + 'static) -> String {
        Watchdog::new(Duration::from_millis(limit_ms), DEADLOCK)
            .try_run(work)
            .unwrap_err()
    }

    #[test]
    fn returns_the_value_of_work_that_finishes() {
        assert_eq!(run_with_watchdog(Duration::from_secs(30), "stuck", || 7), 7);
    }

    #[test]
    #[should_panic(expected = "never woken (still running at the 100 ms limit")]
    fn names_work_that_never_finishes() {
        run_with_watchdog(Duration::from_millis(100), "never woken", || {
            thread::sleep(Duration::from_secs(3600))
        });
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn re_raises_a_panic_in_the_work() {
        run_with_watchdog(Duration::from_secs(30), "stuck", || panic!("boom"));
    }

    #[test]
    fn says_an_idle_thread_was_idle() {
        let verdict = verdict_of(300, || thread::sleep(Duration::from_secs(3600)));
        if cfg!(target_os = "linux") {
            assert!(verdict.contains("its thread sat idle"), "{verdict}");
        }
        assert!(verdict.starts_with(DEADLOCK), "{verdict}");
    }

    #[test]
    fn says_a_spinning_thread_was_busy() {
        let _turn = crate::cpu::tests::SPINNING.lock();
        // Spins for a bounded while (so it does not burn the CPU after the test).
        let verdict = verdict_of(1000, || {
            let until = Instant::now() + Duration::from_millis(2000);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        });
        if cfg!(target_os = "linux") {
            assert!(verdict.contains("busy on the CPU"), "{verdict}");
        }
    }

    #[test]
    fn names_the_operations_still_pending() {
        let probes = Probes::new();
        let inside = probes.clone();
        let verdict = Watchdog::new(Duration::from_millis(200), DEADLOCK)
            .naming(&probes)
            .try_run(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    inside.watch("lock a", async {}).await;
                    let (_keep, never) = tokio::sync::oneshot::channel::<()>();
                    let _ = inside.watch("lock b", never).await;
                });
            })
            .unwrap_err();
        assert!(
            verdict.contains("still waiting on: `lock b` (pending, polled once)"),
            "{verdict}"
        );
        assert!(verdict.contains("polled once"), "{verdict}");
        assert!(!verdict.contains("lock a"), "{verdict}");
    }

    #[test]
    fn names_a_synchronous_section_never_left() {
        let probes = Probes::new();
        let inside = probes.clone();
        let verdict = Watchdog::new(Duration::from_millis(200), DEADLOCK)
            .naming(&probes)
            .try_run(move || {
                let _section = inside.enter("join the courier thread");
                thread::sleep(Duration::from_secs(3600));
            })
            .unwrap_err();
        assert!(
            verdict.contains("`join the courier thread` (entered"),
            "{verdict}"
        );
    }
}
