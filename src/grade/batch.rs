//! Grading many files at once, a few at a time (each grade already runs its checks in
//! parallel), with a progress bar on the terminal.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Grade, Grader, Subject};
use crate::course::Exercise;

/// One grade to make.
pub struct Job<'a> {
    pub exercise: &'a Exercise,
    pub subject: Subject,
    /// Enforce lints on the subject (solutions in `dev check`).
    pub clippy: bool,
}

/// Grades every job; results are in the jobs' order.
pub fn grade_all(grader: &Grader<'_>, jobs: &[Job<'_>], label: &str) -> Result<Vec<Grade>> {
    let bar = ProgressBar::new(jobs.len() as u64).with_message(label.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30.cyan/dim}] {pos}/{len} {elapsed}")
            .expect("the template is valid")
            .progress_chars("█▉░"),
    );
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
                    let grade = grader.grade(job.exercise, &job.subject, job.clippy);
                    results.lock().expect("no worker panics holding the lock")[index] = Some(grade);
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every job was graded"))
        .collect()
}
