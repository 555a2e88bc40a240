//! Real-time plumbing for checks that involve other threads: a gate the grader opens, jobs that
//! wait at it and count themselves, and waiting for a condition with a limit.
//!
//! Everything here gives up after a bounded time, so that a thread the learner's code leaks
//! cannot outlive the check for long, and a check never hangs on its own plumbing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Waits (real time) until `condition` holds or `limit` has passed; returns whether it held.
pub fn wait_until(limit: Duration, condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}

/// A door the grader opens to let waiting work finish. Waiters give up after `gives_up_after`.
#[derive(Debug)]
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    gives_up_after: Duration,
}

impl Gate {
    pub fn new(gives_up_after: Duration) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::new(false),
            opened: Condvar::new(),
            gives_up_after,
        })
    }

    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    pub fn is_open(&self) -> bool {
        *self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the gate opens (true) or the waiter gives up (false).
    pub fn wait(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (open, _) = self
            .opened
            .wait_timeout_while(open, self.gives_up_after, |open| !*open)
            .unwrap_or_else(|e| e.into_inner());
        *open
    }
}

/// Jobs for the learner's code to run: each counts its start, waits at the gate, counts its
/// finish and returns its answer. Tells "never started", "started 20 times" and "still
/// running" apart without timing anything.
#[derive(Clone, Debug)]
pub struct GatedJobs {
    pub gate: Arc<Gate>,
    starts: Arc<AtomicUsize>,
    finishes: Arc<AtomicUsize>,
}

impl GatedJobs {
    pub fn new(gives_up_after: Duration) -> Self {
        Self {
            gate: Gate::new(gives_up_after),
            starts: Arc::default(),
            finishes: Arc::default(),
        }
    }

    /// A job that returns `answer` once the gate opens (each time it is run).
    pub fn job<T: Clone + Send + Sync + 'static>(
        &self,
        answer: T,
    ) -> impl Fn() -> T + Send + Sync + 'static {
        let jobs = self.clone();
        move || {
            jobs.starts.fetch_add(1, Ordering::SeqCst);
            jobs.gate.wait();
            jobs.finishes.fetch_add(1, Ordering::SeqCst);
            answer.clone()
        }
    }

    pub fn starts(&self) -> usize {
        self.starts.load(Ordering::SeqCst)
    }

    pub fn finishes(&self) -> usize {
        self.finishes.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gated_job_waits_for_the_gate() {
        let jobs = GatedJobs::new(Duration::from_secs(30));
        let job = jobs.job(5);
        let worker = thread::spawn(job);
        assert!(wait_until(Duration::from_secs(10), || jobs.starts() == 1));
        assert_eq!(jobs.finishes(), 0);
        jobs.gate.open();
        assert_eq!(worker.join().unwrap(), 5);
        assert_eq!(jobs.finishes(), 1);
    }

    #[test]
    fn a_waiter_gives_up() {
        let gate = Gate::new(Duration::from_millis(20));
        assert!(!gate.wait());
        gate.open();
        assert!(gate.wait());
    }

    #[test]
    fn wait_until_reports_a_condition_that_never_holds() {
        assert!(!wait_until(Duration::from_millis(20), || false));
        assert!(wait_until(Duration::from_millis(20), || true));
    }
}
