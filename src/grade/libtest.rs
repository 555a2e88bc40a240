//! Talking to a libtest binary: listing its tests, running one, and reading what it printed.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::execute::{Ending, Finished};
use super::report::{Check, CheckStatus};

/// The tests in `binary`, in the order libtest lists them.
pub fn list(binary: &Path) -> Result<Vec<String>> {
    let output = Command::new(binary)
        .args(["--list", "--format", "terse"])
        .output()
        .with_context(|| format!("cannot list the checks in {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "{} --list failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect())
}

/// The command that runs exactly one test, with its output uncaptured (so a hung test's
/// output so far is not lost).
pub fn command_for(binary: &Path, test: &str) -> Command {
    let mut command = Command::new(binary);
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]);
    command
}

/// A check's verdict from how its process ended and what it printed.
pub fn interpret(test: &str, finished: &Finished, time_limit: std::time::Duration) -> Check {
    let stdout = strip_framing(test, &finished.stdout.text);
    let panics = panics_in(&finished.stderr.text);
    let mut output = stdout.to_owned();
    output.push_str(&panics.rest);
    let (status, message) = match finished.ending {
        Ending::Exited(0) if stdout_says(test, &finished.stdout.text, "ignored") => {
            (CheckStatus::Skipped, None)
        }
        Ending::Exited(0) => (CheckStatus::Pass, None),
        Ending::Exited(_) => (
            CheckStatus::Fail,
            Some(
                panics
                    .message(test)
                    .unwrap_or_else(|| "the check failed without a message".into()),
            ),
        ),
        Ending::TimedOut => (
            CheckStatus::Timeout,
            Some(format!(
                "did not finish in {}: a deadlock, or a future that is never woken?",
                human_seconds(time_limit)
            )),
        ),
        Ending::Flooded => (
            CheckStatus::Fail,
            Some(
                "printed megabytes of output and was stopped: is something printing in a loop?"
                    .into(),
            ),
        ),
        Ending::Signaled(signal) => (
            CheckStatus::Fail,
            Some(crash_message(signal, &finished.stderr.text)),
        ),
    };
    let dropped = finished.stdout.dropped + finished.stderr.dropped;
    if dropped > 0 {
        output.push_str(&format!("\n… {dropped} more bytes of output not shown\n"));
    }
    Check {
        name: display_name(test).to_owned(),
        status,
        message,
        location: panics.location(test),
        output: output.trim().to_owned(),
        duration: finished.took,
    }
}

/// The check's name as the learner sees it: without the `grader::` module prefix.
fn display_name(test: &str) -> &str {
    test.strip_prefix("grader::").unwrap_or(test)
}

fn human_seconds(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

fn crash_message(signal: i32, stderr: &str) -> String {
    if stderr.contains("has overflowed its stack") {
        return "crashed with a stack overflow: unbounded recursion? (a recursive async fn needs Box::pin, and must stop somewhere)".into();
    }
    if stderr.contains("memory allocation of") {
        return "crashed: ran out of memory (something grows without bound?)".into();
    }
    let name = nix::sys::signal::Signal::try_from(signal)
        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned());
    format!("crashed: killed by {name}")
}

fn stdout_says(test: &str, stdout: &str, word: &str) -> bool {
    stdout.lines().any(|line| {
        line.starts_with(&format!("test {test} ...")) && line.trim_end().ends_with(word)
    })
}

/// The test's own stdout, without libtest's "running 1 test / test x ... ok / test result"
/// lines around it.
fn strip_framing<'a>(test: &str, stdout: &'a str) -> &'a str {
    let prefix = format!("test {test} ... ");
    let body = match stdout.find(&prefix) {
        Some(at) => &stdout[at + prefix.len()..],
        None => stdout
            .trim_start()
            .strip_prefix("running 1 test")
            .unwrap_or(stdout),
    };
    let body = match body.rfind("\ntest result: ") {
        Some(at) => &body[..at],
        None => body,
    };
    let body = body.trim_end();
    let body = match body.find("\n\nfailures:\n") {
        Some(at) => &body[..at],
        None => body,
    };
    let body = body.trim_end();
    ["FAILED", "ok", "ignored"]
        .iter()
        .find_map(|word| body.strip_suffix(word))
        .unwrap_or(body)
}

/// Panics found in a test's stderr, and the stderr lines that are not part of one.
struct Panics {
    /// (message, location, thread) of each panic, in order.
    found: Vec<(String, String, String)>,
    rest: String,
}

impl Panics {
    /// The panic that failed the check: the last one of the test's own thread (libtest names
    /// it after the test), or else the last one; a thread the check left behind may still
    /// panic after it. Other panics before it (often the real cause: a panic in a spawned task
    /// that the test then unwrapped) are mentioned after it.
    fn message(&self, test: &str) -> Option<String> {
        let failed = self.failed(test)?;
        let last = &self.found[failed].0;
        let mut message = last.clone();
        for (earlier, location, _) in &self.found[..failed] {
            if earlier != last && !last.contains(earlier.as_str()) {
                message.push_str(&format!("\n(earlier panic at {location}: {earlier})"));
            }
        }
        Some(message)
    }

    /// Which panic failed the check (see [`Panics::message`]).
    fn failed(&self, test: &str) -> Option<usize> {
        self.found
            .iter()
            .rposition(|(_, _, thread)| thread == test)
            .or(self.found.len().checked_sub(1))
    }

    /// Where the panic that failed the check happened.
    fn location(&self, test: &str) -> Option<String> {
        self.failed(test).map(|i| self.found[i].1.clone())
    }
}

fn panics_in(stderr: &str) -> Panics {
    let mut found = Vec::new();
    let mut rest = String::new();
    let mut current: Option<(String, String, Vec<&str>)> = None;
    for line in stderr.lines() {
        if let Some(location) = panic_location(line) {
            if let Some((location, thread, lines)) = current.take() {
                found.push((lines.join("\n").trim().to_owned(), location, thread));
            }
            current = Some((
                location.to_owned(),
                panic_thread(line).to_owned(),
                Vec::new(),
            ));
            continue;
        }
        match &mut current {
            Some((location, thread, lines)) => {
                if line.starts_with("note: run with `RUST_BACKTRACE") {
                    found.push((
                        lines.join("\n").trim().to_owned(),
                        location.clone(),
                        thread.clone(),
                    ));
                    current = None;
                } else {
                    lines.push(line);
                }
            }
            None => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    if let Some((location, thread, lines)) = current {
        found.push((lines.join("\n").trim().to_owned(), location, thread));
    }
    Panics { found, rest }
}

/// `thread 'x' (123) panicked at src/lib.rs:2:5:` → `x`.
fn panic_thread(line: &str) -> &str {
    line.strip_prefix("thread '")
        .and_then(|rest| rest.split_once('\''))
        .map_or("", |(name, _)| name)
}

/// `thread 'x' (123) panicked at src/lib.rs:2:5:` → `src/lib.rs:2:5`.
fn panic_location(line: &str) -> Option<&str> {
    if !line.starts_with("thread '") {
        return None;
    }
    let (_, location) = line.split_once(" panicked at ")?;
    Some(location.strip_suffix(':').unwrap_or(location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::execute::Captured;
    use std::time::Duration;

    fn finished(ending: Ending, stdout: &str, stderr: &str) -> Finished {
        Finished {
            ending,
            stdout: Captured {
                text: stdout.into(),
                dropped: 0,
            },
            stderr: Captured {
                text: stderr.into(),
                dropped: 0,
            },
            took: Duration::from_millis(5),
        }
    }

    const LIMIT: Duration = Duration::from_secs(10);

    #[test]
    fn a_pass_keeps_the_tests_own_output() {
        let out = "\nrunning 1 test\ntest grader::passes ... hello out\nok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s\n\n";
        let check = interpret(
            "grader::passes",
            &finished(Ending::Exited(0), out, "hello err\n"),
            LIMIT,
        );
        assert_eq!(check.status, CheckStatus::Pass);
        assert_eq!(check.name, "passes");
        assert_eq!(check.output, "hello out\nhello err");
    }

    #[test]
    fn a_failure_carries_the_panic_message_and_location() {
        let out = "\nrunning 1 test\ntest grader::fails ... some output\nFAILED\n\nfailures:\n\nfailures:\n    grader::fails\n\ntest result: FAILED. 0 passed; 1 failed\n\n";
        let err = "\nthread 'grader::fails' (7556) panicked at tests/graders/x.rs:2:47:\nreturned Pending\nsecond line\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let check = interpret(
            "grader::fails",
            &finished(Ending::Exited(101), out, err),
            LIMIT,
        );
        assert_eq!(check.status, CheckStatus::Fail);
        assert_eq!(
            check.message.as_deref(),
            Some("returned Pending\nsecond line")
        );
        assert_eq!(check.location.as_deref(), Some("tests/graders/x.rs:2:47"));
        assert_eq!(check.output, "some output");
    }

    #[test]
    fn a_panic_in_a_spawned_task_is_named_as_the_cause() {
        let err = "\nthread 't' (1) panicked at exercises/a.rs:3:70:\ninner task boom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 't' (1) panicked at tests/graders/a.rs:3:108:\nthe fetch task failed: task 1 panicked\n";
        let check = interpret("grader::t", &finished(Ending::Exited(101), "", err), LIMIT);
        assert_eq!(
            check.message.as_deref(),
            Some(
                "the fetch task failed: task 1 panicked\n(earlier panic at exercises/a.rs:3:70: inner task boom)"
            )
        );
    }

    #[test]
    fn the_test_threads_own_panic_is_the_verdict() {
        // A thread the check left behind panics again after the check's own verdict.
        let err = "\nthread 'watched' panicked at exercises/a.rs:3:9:\nresumed after completion\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 'grader::t' panicked at grading/src/watchdog.rs:1:1:\nthe monitor kept the runtime busy\n\nthread 'watched' (7) panicked at exercises/a.rs:3:9:\nresumed after completion\n";
        let check = interpret("grader::t", &finished(Ending::Exited(101), "", err), LIMIT);
        assert_eq!(
            check.message.as_deref(),
            Some(
                "the monitor kept the runtime busy\n(earlier panic at exercises/a.rs:3:9: resumed after completion)"
            )
        );
    }

    #[test]
    fn timeouts_crashes_and_ignored_tests_are_named() {
        let timeout = interpret("grader::t", &finished(Ending::TimedOut, "", ""), LIMIT);
        assert_eq!(timeout.status, CheckStatus::Timeout);
        assert_eq!(
            timeout.message.as_deref(),
            Some("did not finish in 10 s: a deadlock, or a future that is never woken?")
        );
        let overflow = interpret(
            "grader::t",
            &finished(
                Ending::Signaled(6),
                "",
                "thread 'x' (1) has overflowed its stack\n",
            ),
            LIMIT,
        );
        assert!(overflow.message.unwrap().contains("stack overflow"));
        let segv = interpret("grader::t", &finished(Ending::Signaled(11), "", ""), LIMIT);
        assert_eq!(segv.message.as_deref(), Some("crashed: killed by SIGSEGV"));
        let ignored = interpret(
            "grader::t",
            &finished(
                Ending::Exited(0),
                "\nrunning 1 test\ntest grader::t ... ignored\n\ntest result: ok.",
                "",
            ),
            LIMIT,
        );
        assert_eq!(ignored.status, CheckStatus::Skipped);
    }
}
