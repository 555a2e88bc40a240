//! Rayon placement: where work ran (a rayon pool, the tokio runtime's thread, elsewhere), proof
//! that it ran in parallel, and blocking calls that starve the pool.
//!
//! Never assert a speed-up: a loaded 2-core machine gives none you can count on. Decide from
//! facts that do not depend on timing instead:
//! - [`Rendezvous`]: the first `n` work items wait for each other; they only meet if `n` of
//!   them run at the same time (a barrier with a watchdog, so sequential code fails instead of
//!   hanging);
//! - [`Placement`]: each call of the grader's work records its thread: a rayon worker
//!   (`rayon::current_thread_index()`), the runtime's thread, or another one. CPU work on the
//!   runtime thread stalled the runtime for exactly as long as it ran; a sleep or blocking call
//!   on a rayon worker held a pool thread that CPU work needed.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::cpu::{ThreadCpu, process_cpu, seconds};

thread_local! {
    static RUNTIME_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as a tokio runtime's thread until the guard is dropped.
/// [`crate::runtime::Run`] does it for its runtime; in a `#[tokio::test]`, call it first.
pub fn mark_runtime_thread() -> RuntimeThread {
    let previous = RUNTIME_THREAD.with(|marked| marked.replace(true));
    RuntimeThread { previous }
}

/// Marks the current thread, a worker of a runtime the helpers built, as a runtime thread for
/// the rest of its life (called when it first runs tasks; tokio's blocking-pool threads never
/// do, so they stay [`ThreadKind::Other`]).
pub(crate) fn mark_worker_thread() {
    RUNTIME_THREAD.with(|marked| marked.set(true));
}

/// Unmarks the thread when dropped; see [`mark_runtime_thread`].
pub struct RuntimeThread {
    previous: bool,
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        RUNTIME_THREAD.with(|marked| marked.set(self.previous));
    }
}

/// Where a piece of work ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ThreadKind {
    /// A rayon worker, with its index in its pool.
    Rayon(usize),
    /// A thread of the tokio runtime: the one that drives `block_on`, a worker of a
    /// [`crate::runtime::Run`]'s multi-thread runtime (never its blocking pool), a thread
    /// marked with [`mark_runtime_thread`], or the one that made the [`Placement`] inside async
    /// code.
    Runtime,
    /// Any other thread (a `std::thread`, tokio's blocking pool).
    Other,
}

/// One recorded call.
#[derive(Clone, Debug)]
pub struct Call {
    pub kind: ThreadKind,
    pub thread: ThreadId,
    pub took: Duration,
    /// CPU time the call's thread used meanwhile, where the OS tells (Linux): about `took` for
    /// a computation, next to nothing for a call that waited (blocking I/O, a sleep, a lock).
    pub cpu: Option<Duration>,
}

/// Records where the work the grader hands out runs. Clone it into the work closures.
///
/// ```
/// # use asynclings_grading::parallel::Placement;
/// let placement = Placement::new();
/// let work = placement.clone();
/// rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| {
///     work.record(|| (1..1000u64).sum::<u64>())
/// });
/// placement.check_on_rayon("use rayon").unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Placement {
    calls: Arc<Mutex<Vec<Call>>>,
    runtime_thread: Option<ThreadId>,
}

impl Default for Placement {
    fn default() -> Self {
        Self::new()
    }
}

impl Placement {
    /// Made inside a tokio runtime, it takes the current thread for the runtime's thread.
    pub fn new() -> Self {
        let in_runtime = tokio::runtime::Handle::try_current().is_ok()
            && rayon::current_thread_index().is_none();
        Self {
            calls: Arc::default(),
            runtime_thread: in_runtime.then(|| thread::current().id()),
        }
    }

    fn kind_here(&self) -> ThreadKind {
        if let Some(index) = rayon::current_thread_index() {
            ThreadKind::Rayon(index)
        } else if RUNTIME_THREAD.with(Cell::get)
            || self.runtime_thread == Some(thread::current().id())
        {
            ThreadKind::Runtime
        } else {
            ThreadKind::Other
        }
    }

    /// Runs `work`, recording where it ran and how long it took.
    pub fn record<T>(&self, work: impl FnOnce() -> T) -> T {
        let kind = self.kind_here();
        let me = ThreadCpu::current();
        let cpu_before = me.and_then(|t| t.used());
        let started = Instant::now();
        let output = work();
        let took = started.elapsed();
        let cpu = match (cpu_before, me.and_then(|t| t.used())) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        let call = Call {
            kind,
            thread: thread::current().id(),
            took,
            cpu,
        };
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call);
        output
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The distinct rayon worker indices that ran work.
    pub fn rayon_threads(&self) -> BTreeSet<usize> {
        self.calls()
            .iter()
            .filter_map(|c| match c.kind {
                ThreadKind::Rayon(index) => Some(index),
                _ => None,
            })
            .collect()
    }

    fn of_kind(&self, wanted: impl Fn(ThreadKind) -> bool) -> (usize, Duration) {
        let calls = self.calls();
        let matching = calls.iter().filter(|c| wanted(c.kind));
        matching.fold((0, Duration::ZERO), |(n, total), c| (n + 1, total + c.took))
    }

    /// Work must not run on the runtime's thread: there it stalls every other task for as long
    /// as it runs. The verdict says what was measured: "CPU work" when the calls used 50 ms of
    /// CPU or more, "blocking calls" when their thread hardly used any (a tick of 10 ms, or 2 %
    /// of their time: blocking I/O, a sleep, a lock), "work" in between, when the calls were too
    /// short to tell (under 100 ms: CPU time is counted in 10 ms ticks) or the OS does not tell.
    pub fn check_off_runtime(&self, fix: &str) -> Result<(), String> {
        let calls = self.calls();
        let on_runtime: Vec<&Call> = calls
            .iter()
            .filter(|c| c.kind == ThreadKind::Runtime)
            .collect();
        if on_runtime.is_empty() {
            return Ok(());
        }
        let stalled: Duration = on_runtime.iter().map(|c| c.took).sum();
        let cpu: Option<Duration> = on_runtime.iter().map(|c| c.cpu).sum();
        let what = match cpu {
            // CPU time comes in 10 ms ticks, and a loaded machine stretches a computation's
            // wall-clock time: judge by the CPU used, not by its share of the wall clock.
            Some(cpu) if stalled >= Duration::from_millis(100) => {
                if cpu >= Duration::from_millis(50) {
                    "CPU work"
                } else if cpu <= Duration::from_millis(10).max(stalled / 50) {
                    "blocking calls (the thread waited, it did not compute: blocking I/O, a \
                     sleep, a lock)"
                } else {
                    "work"
                }
            }
            _ => "work",
        };
        Err(format!(
            "{what} ran on the tokio runtime's thread ({} of {} call(s)) and stalled the runtime \
             for {} ms: no other task could run meanwhile; {fix}",
            on_runtime.len(),
            calls.len(),
            stalled.as_millis()
        ))
    }

    /// Every call must have run on a rayon pool.
    pub fn check_on_rayon(&self, fix: &str) -> Result<(), String> {
        self.check_off_runtime(fix)?;
        let calls = self.calls();
        let elsewhere = calls.iter().filter(|c| c.kind == ThreadKind::Other).count();
        if calls.is_empty() {
            return Err(format!("the work was never run; {fix}"));
        }
        if elsewhere == 0 {
            return Ok(());
        }
        let mut threads: Vec<ThreadId> = Vec::new();
        for call in calls.iter().filter(|c| c.kind == ThreadKind::Other) {
            if !threads.contains(&call.thread) {
                threads.push(call.thread);
            }
        }
        Err(format!(
            "ran outside the rayon pool: {elsewhere} of {} call(s) on {} thread(s) that are not \
             rayon workers (std::thread::spawn, spawn_blocking?); {fix}",
            calls.len(),
            threads.len()
        ))
    }

    /// Blocking calls (sleeps, blocking I/O) must not run on rayon workers: each one holds a
    /// pool thread that CPU work needs (pool starvation).
    pub fn check_no_blocking_on_rayon(&self, fix: &str) -> Result<(), String> {
        let (on_rayon, held) = self.of_kind(|k| matches!(k, ThreadKind::Rayon(_)));
        if on_rayon == 0 {
            return Ok(());
        }
        Err(format!(
            "blocked the rayon pool: {on_rayon} blocking call(s) ran on rayon workers (threads {}) \
             and held them for {} in all, while CPU work waited for a free thread (pool \
             starvation); {fix}",
            self.rayon_threads()
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", "),
            seconds(held)
        ))
    }
}

#[derive(Debug)]
struct Meeting {
    arrived: usize,
    /// Met, or given up: later arrivals pass straight through.
    over: bool,
    met: bool,
    gave_up_after: Option<Duration>,
    first_arrival: Option<Instant>,
}

/// A barrier for the first `parties` arrivals, with patience: they meet only if that many run
/// at the same time. If they don't meet within `patience` (real time), the waiting ones give up
/// and every later arrival passes straight through, so sequential code ends instead of hanging.
///
/// ```
/// # use std::time::Duration;
/// # use rayon::prelude::*;
/// # use asynclings_grading::parallel::Rendezvous;
/// let meeting = Rendezvous::new(2, Duration::from_secs(5));
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// pool.install(|| (0..4).into_par_iter().for_each(|_| meeting.arrive()));
/// meeting.check_met("use par_iter").unwrap();
/// ```
#[derive(Debug)]
pub struct Rendezvous {
    parties: usize,
    patience: Duration,
    state: Mutex<Meeting>,
    changed: Condvar,
}

impl Rendezvous {
    pub fn new(parties: usize, patience: Duration) -> Arc<Self> {
        Arc::new(Self {
            parties,
            patience,
            state: Mutex::new(Meeting {
                arrived: 0,
                over: parties <= 1,
                met: parties <= 1,
                gave_up_after: None,
                first_arrival: None,
            }),
            changed: Condvar::new(),
        })
    }

    /// Arrives; waits (up to the patience) for the others if the meeting is not over yet.
    pub fn arrive(&self) {
        let mut meeting = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if meeting.over {
            return;
        }
        meeting.arrived += 1;
        let first = *meeting.first_arrival.get_or_insert_with(Instant::now);
        if meeting.arrived >= self.parties {
            meeting.over = true;
            meeting.met = true;
            self.changed.notify_all();
            return;
        }
        let deadline = first + self.patience;
        while !meeting.over {
            let now = Instant::now();
            if now >= deadline {
                meeting.over = true;
                meeting.gave_up_after = Some(now - first);
                self.changed.notify_all();
                break;
            }
            meeting = self
                .changed
                .wait_timeout(meeting, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Whether the first `parties` arrivals met.
    pub fn met(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).met
    }

    /// How many arrived before the meeting was over. When it was given up, every one of them
    /// was still waiting for the others then: that many ran at the same time (0 or 1: one at
    /// a time), the figure for "only 3 of 8 ran at once" verdicts.
    pub fn arrived(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).arrived
    }

    /// `Err(verdict)` unless the first `parties` work items ran at the same time.
    pub fn check_met(&self, fix: &str) -> Result<(), String> {
        let meeting = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if meeting.met {
            return Ok(());
        }
        match meeting.gave_up_after {
            None => Err(format!(
                "only {} work item(s) ever started, where {} should run at the same time; {fix}",
                meeting.arrived, self.parties
            )),
            Some(waited) => Err(format!(
                "ran one item at a time: the first item waited {} for {} other(s) to run \
                 alongside it, and only {} did; {fix}",
                seconds(waited),
                self.parties - 1,
                meeting.arrived - 1
            )),
        }
    }
}

/// Wall-clock time and process CPU time spent while `work` ran.
#[derive(Clone, Copy, Debug)]
pub struct CpuUse {
    pub wall: Duration,
    /// `None` where the OS does not tell (not Linux).
    pub cpu: Option<Duration>,
}

/// Runs `work` and measures the wall-clock and CPU time it took.
pub fn cpu_while<T>(work: impl FnOnce() -> T) -> (T, CpuUse) {
    let cpu_before = process_cpu();
    let started = Instant::now();
    let output = work();
    let wall = started.elapsed();
    let cpu = match (cpu_before, process_cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    (output, CpuUse { wall, cpu })
}

impl CpuUse {
    /// Pool starvation seen from outside, for work the grader cannot instrument: the work took
    /// at least `min_wall` yet the process hardly used the CPU (a 10 ms tick, or 2 % of the
    /// time, at most), so its threads were asleep or blocked rather than computing. Give the
    /// work 100 ms of CPU or more. It counts the whole process's CPU: in a grade, each check is
    /// a process of its own.
    pub fn check_not_idle(&self, min_wall: Duration, fix: &str) -> Result<(), String> {
        let Some(cpu) = self.cpu else { return Ok(()) };
        // Sleeping or blocked threads use next to nothing (10 ms ticks, 2 % of the time at
        // most); a computation uses the CPU it needs, however much a loaded machine stretches
        // its wall-clock time.
        if self.wall < min_wall || cpu > Duration::from_millis(10).max(self.wall / 50) {
            return Ok(());
        }
        Err(format!(
            "the work took {} of wall-clock time but only {} of CPU: its threads were asleep or \
             blocked (std::thread::sleep or blocking I/O inside the rayon pool starves it); {fix}",
            seconds(self.wall),
            seconds(cpu)
        ))
    }
}
