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
use crate::cpu::{ThreadCpu, seconds};

/// The usual explanation when a check never finishes.
pub const DEADLOCK: &str = "deadlock, or never woken: the check never finished";

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
pub struct Watchdog {
    limit: Duration,
    explanation: String,
    probes: Option<Probes>,
    stopwatch: Option<PollStopwatch>,
}

impl Watchdog {
    pub fn new(limit: Duration, explanation: &str) -> Self {
        Self {
            limit,
            explanation: explanation.to_owned(),
            probes: None,
            stopwatch: None,
        }
    }

    /// On timeout, also say if a poll timed by `stopwatch` is still running (the thread is
    /// blocked inside it).
    pub fn timing(mut self, stopwatch: &PollStopwatch) -> Self {
        self.stopwatch = Some(stopwatch.clone());
        self
    }

    /// On timeout, also name the probes of `probes` that were still pending.
    pub fn naming(mut self, probes: &Probes) -> Self {
        self.probes = Some(probes.clone());
        self
    }

    /// Runs `work` on its own thread; panics with the explanation if it outlives the limit.
    /// A panic inside `work` is re-raised with its own message.
    pub fn run<T, W>(&self, work: W) -> T
    where
        T: Send + 'static,
        W: FnOnce() -> T + Send + 'static,
    {
        match self.try_run(work) {
            Ok(value) => value,
            Err(verdict) => panic!("{verdict}"),
        }
    }

    /// Like [`Watchdog::run`], but returns the timeout's verdict instead of panicking.
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
        let started = Instant::now();
        match finished.recv_timeout(self.limit) {
            Ok(value) => Ok(value),
            Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends its result before it ends"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let waited = started.elapsed();
                let cpu = cpu_rx.try_recv().ok().flatten().and_then(|t| t.used());
                Err(self.verdict(waited, cpu))
            }
        }
    }

    fn verdict(&self, waited: Duration, cpu: Option<Duration>) -> String {
        let mut verdict = format!(
            "{} (still running after {:.1} s",
            self.explanation,
            waited.as_secs_f64()
        );
        if let Some(in_poll) = self
            .stopwatch
            .as_ref()
            .and_then(|s| s.stats().in_poll_for())
        {
            verdict.push_str(&format!(
                "; one poll has not returned for {}: it blocked the thread",
                seconds(in_poll)
            ));
        }
        if let Some(cpu) = cpu {
            // A spinning thread gets a fair share of a core even on a loaded machine (a tenth is
            // far below it); a blocked one uses next to nothing (startup aside).
            let share = cpu.as_secs_f64() / waited.as_secs_f64().max(1e-9);
            if share >= 0.1 {
                verdict.push_str(&format!(
                    "; its thread was busy on the CPU for {} of them: a loop that never waits, \
                     such as a task that wakes itself or spins on a flag",
                    seconds(cpu)
                ));
            } else if cpu <= Duration::from_millis(20) + waited / 50 {
                verdict.push_str(
                    "; its thread sat idle: blocked (a lock, a join, a block_on) or waiting \
                     for a wake-up that never came",
                );
            }
        }
        if let Some(probes) = &self.probes {
            let waiting = probes.waiting();
            if !waiting.is_empty() {
                verdict.push_str("; still waiting on: ");
                verdict.push_str(&waiting.join(", "));
            }
        }
        verdict.push(')');
        verdict
    }
}

#[derive(Debug)]
struct ProbeState {
    name: String,
    since: Instant,
    polls: usize,
    done: bool,
    /// A synchronous section (a lock, a join) rather than a future.
    section: bool,
}

/// Named operations whose progress a watchdog can report: "still waiting on: `lock b` (for
/// 1.5 s, polled once)".
///
/// Wrap the awaited operations you hand to the learner's code (or that your check awaits) with
/// [`Probes::watch`], and mark synchronous sections with [`Probes::enter`]. Pass the probes to
/// [`Watchdog::naming`] or [`crate::runtime::Run::naming`].
#[derive(Clone, Default, Debug)]
pub struct Probes {
    states: Arc<Mutex<Vec<ProbeState>>>,
}

impl Probes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps `future`: pending from its first poll until it returns `Ready`.
    pub fn watch<F: Future>(&self, name: impl Into<String>, future: F) -> Probed<F> {
        Probed {
            inner: Box::pin(future),
            probes: self.clone(),
            name: name.into(),
            slot: None,
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
            done: false,
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
        let states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states
            .iter()
            .filter(|s| !s.done)
            .map(|s| {
                let waited = seconds(s.since.elapsed());
                if s.section {
                    format!("`{}` (entered {waited} ago, never left)", s.name)
                } else {
                    let polls = match s.polls {
                        1 => "polled once".to_owned(),
                        n => format!("polled {n} times"),
                    };
                    format!("`{}` (pending for {waited}, {polls})", s.name)
                }
            })
            .collect()
    }

    /// The names of the operations that completed, in the order they started.
    pub fn completed(&self) -> Vec<String> {
        let states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        states
            .iter()
            .filter(|s| s.done)
            .map(|s| s.name.clone())
            .collect()
    }
}

/// A future wrapped by [`Probes::watch`].
pub struct Probed<F: Future> {
    inner: Pin<Box<F>>,
    probes: Probes,
    name: String,
    slot: Option<usize>,
}

impl<F: Future> Future for Probed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let slot = match this.slot {
            Some(slot) => slot,
            None => {
                let slot = this.probes.push(this.name.clone(), false);
                this.slot = Some(slot);
                slot
            }
        };
        this.probes.update(slot, |s| s.polls += 1);
        let result = this.inner.as_mut().poll(cx);
        if result.is_ready() {
            this.probes.update(slot, |s| s.done = true);
        }
        result
    }
}

impl<F: Future> Drop for Probed<F> {
    fn drop(&mut self) {
        // Cancelled (dropped while pending): it is no longer awaited.
        if let Some(slot) = self.slot {
            self.probes.update(slot, |s| s.done = true);
        }
    }
}

/// Leaves a section entered with [`Probes::enter`] when dropped.
pub struct ProbeGuard {
    probes: Probes,
    slot: usize,
}

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        self.probes.update(self.slot, |s| s.done = true);
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
    #[should_panic(expected = "never woken (still running after ")]
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
        let verdict = verdict_of(500, || {
            let until = Instant::now() + Duration::from_millis(1500);
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
            verdict.contains("still waiting on: `lock b` (pending for"),
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
