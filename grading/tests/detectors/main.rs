//! Every detector of asynclings-grading against a known-bad fixture (it must flag it with the
//! expected message) and a known-good fixture (it must pass it).
//!
//! `grading/stress.sh` runs this binary many times while other processes keep both cores
//! busy: none of these may give a false verdict. Good fixtures that measure real time append
//! their figure to the file named by `ASYNCLINGS_STRESS_LOG`, so the script can report the
//! slowest legitimate poll and the largest runtime gap it saw.

mod blocking;
mod bounded;
mod cancellation;
mod deadlock;
mod eager;
mod hand_polls;
mod heartbeat;
mod order;
mod panics;
mod rayon_placement;
mod runtime_health;
mod same_poll;
mod thread_state;
mod timeline;
mod wakers;
mod would_hang;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use asynclings_grading::panics::panic_message;

/// Tests that spin a CPU or measure CPU time take turns, so that one's spinning does not show
/// in another's figures (all tests of this binary share one process).
pub static CPU: Mutex<()> = Mutex::new(());

pub fn cpu_turn() -> std::sync::MutexGuard<'static, ()> {
    CPU.lock().unwrap_or_else(|e| e.into_inner())
}

/// The panic message of `check`, which must panic.
pub fn verdict_of(check: impl FnOnce()) -> String {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(()) => panic!("the detector passed a known-bad fixture"),
        Err(payload) => panic_message(&*payload).to_owned(),
    }
}

/// Asserts that `verdict` contains every fragment, showing the verdict if not.
pub fn assert_says(verdict: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            verdict.contains(fragment),
            "the verdict lacks {fragment:?}:\n{verdict}"
        );
    }
}

/// Appends a measured figure of a good fixture to the stress log, if one is named.
pub fn log_figure(what: &str, figure: Duration) {
    if let Ok(path) = std::env::var("ASYNCLINGS_STRESS_LOG")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "{what} {:.3}", figure.as_secs_f64() * 1000.0);
    }
}

/// What a child process of this test binary did.
pub struct Child {
    pub code: Option<i32>,
    pub stderr: String,
    pub took: Duration,
}

/// Runs the ignored test `test` (a path like `hand_polls::child`) of this binary in a child
/// process, with `scenario` in `ASYNCLINGS_CHILD`: for detectors that end the process (the
/// guard of hand polls) or whose output is the point (repeated panics).
pub fn run_child(test: &str, scenario: &str) -> Child {
    let started = Instant::now();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ASYNCLINGS_CHILD", scenario)
        .env_remove("ASYNCLINGS_STRESS_LOG")
        .output()
        .unwrap();
    Child {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// The scenario a child process was started for (empty in the parent).
pub fn child_scenario() -> String {
    std::env::var("ASYNCLINGS_CHILD").unwrap_or_default()
}
