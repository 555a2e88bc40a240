//! Grading many files at once. A grade compiles (CPU: rustc and the linker), then runs its
//! checks, which mostly wait: on a watchdog, a barrier, a deadline. The two phases have slots
//! of their own:
//! - as many compiles at once as there are cores ([`compile_slots`]), at a lower CPU priority
//!   than checks (`Control::in_batch`);
//! - one grade's checks more at once than there are cores ([`run_slots`]). Not more: some
//!   graders decide with real-time watchdogs (a poll that has not returned after 1 s), and
//!   checks crowding each other make their verdicts drift.
//!
//! So the compilers keep the cores busy while checks wait, and yield to a check that needs a
//! core; the checks run as they did when grades took turns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;

use super::{Control, Grade, Grader, Subject};
use crate::course::Exercise;
use anyhow::Result;

/// One grade to make.
pub struct Job<'a> {
    pub exercise: &'a Exercise,
    pub subject: Subject,
    /// Enforce lints on the subject (solutions in `dev check`).
    pub clippy: bool,
}

/// Grades every job; results are in the jobs' order. `on_graded` is told how many are done.
pub fn grade_all(
    grader: &Grader<'_>,
    jobs: &[Job<'_>],
    on_graded: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Grade>> {
    let graded = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Grade>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    // A worker per slot of either kind: a grade waiting for a slot of one kind must not keep
    // the other kind's slots idle.
    let workers = (compile_slots() + run_slots()).min(jobs.len().max(1));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let control = Control {
                        in_batch: true,
                        ..Control::default()
                    };
                    let grade = grader.grade(job.exercise, &job.subject, job.clippy, &control);
                    results.lock().expect("no worker panics holding the lock")[index] = Some(grade);
                    on_graded(graded.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every job was graded"))
        .collect()
}

/// The machine's cores (2 when unknown).
pub fn cores() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get())
}

/// How many grades compile at once.
pub fn compile_slots() -> usize {
    cores()
}

/// How many grades run their checks at once.
pub fn run_slots() -> usize {
    cores() + 1
}

/// At most `n` holders at once (the compile slots).
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A held slot, given back when dropped.
pub struct Slot<'a>(&'a Slots);

impl Slots {
    pub fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot.
    pub fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().expect("no panic holding the lock");
        while *free == 0 {
            free = self.freed.wait(free).expect("no panic holding the lock");
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().expect("no panic holding the lock") += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn slots_never_have_more_holders_than_they_allow() {
        let slots = Slots::new(2);
        let holding = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _slot = slots.take();
                        let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        thread::yield_now();
                        holding.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(*slots.free.lock().unwrap(), 2, "every slot given back");
    }
}
