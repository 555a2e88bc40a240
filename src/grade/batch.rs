//! Grading many files at once, a few at a time (each grade already runs its checks in
//! parallel).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(jobs.len().max(1));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let grade =
                        grader.grade(job.exercise, &job.subject, job.clippy, &Control::default());
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
