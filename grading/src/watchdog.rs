//! Real-time watchdogs that live *outside* the thread they guard.
//!
//! `tokio::time::timeout` cannot fire while the runtime thread is blocked (a `block_on` inside
//! async code, a `std::thread::sleep`, a deadlock): nothing polls the timer. A watchdog thread
//! can, so a grader can fail with a precise message instead of hitting the grader-wide time limit.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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
}

impl Watchdog {
    pub fn new(limit: Duration, explanation: &str) -> Self {
        Self {
            limit,
            explanation: explanation.to_owned(),
        }
    }

    /// Runs `work` on its own thread; panics with the explanation if it outlives the limit.
    /// A panic inside `work` is re-raised with its own message.
    pub fn run<T, W>(&self, work: W) -> T
    where
        T: Send + 'static,
        W: FnOnce() -> T + Send + 'static,
    {
        let (done, finished) = mpsc::channel();
        let worker = thread::Builder::new()
            .name("watched".into())
            .spawn(move || {
                let _ = done.send(work());
            })
            .expect("the grader could not start a thread");
        match finished.recv_timeout(self.limit) {
            Ok(value) => value,
            Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends its result before it ends"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "{} (still running after {:.1} s)",
                self.explanation,
                self.limit.as_secs_f64()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_of_work_that_finishes() {
        assert_eq!(run_with_watchdog(Duration::from_secs(30), "stuck", || 7), 7);
    }

    #[test]
    #[should_panic(expected = "never woken (still running after 0.1 s)")]
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
}
