//! Talking to a libtest binary: the command that runs one test, the one that lists them (for
//! sealing), and a check's verdict from how its process ended and what it printed.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use super::evidence::{self, Outcome};
use super::execute::{Ending, Finished};
use super::panics::{Panics, Scanner};
use super::report::{Check, CheckStatus};

/// What libtest prints on stderr (without a newline) when given `--logfile`.
const LOGFILE_WARNING: &str = "warning: `--logfile` is deprecated";

/// The arguments that run exactly one test, with its output uncaptured (so a hung test's
/// output so far is not lost), and libtest's log file at `log`.
pub fn args_for(test: &str, log: &Path) -> Vec<String> {
    vec![
        "--exact".into(),
        test.into(),
        "--nocapture".into(),
        "--test-threads=1".into(),
        "--logfile".into(),
        log.display().to_string(),
    ]
}

/// The arguments that list a binary's tests.
pub fn list_args() -> Vec<String> {
    ["--list", "--format", "terse"].map(str::to_owned).to_vec()
}

/// The tests in a `--list --format terse` output, in libtest's order.
pub fn parse_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// One check as run: its sealed name and what it was held to.
pub struct CheckRun<'a> {
    pub name: &'a str,
    /// How many checks the exercise has (libtest must report the others as filtered out).
    pub sealed: usize,
    pub time_limit: Duration,
    pub memory_limit: u64,
    /// What libtest wrote in this run's log file (`None`: no file).
    pub log: Option<String>,
}

/// A check's verdict. An error when the check could not even be started (the machine's
/// problem, not the learner's).
pub fn interpret(run: &CheckRun<'_>, finished: &Finished) -> Result<Check> {
    let stdout_text = finished.stdout.text();
    let stderr_text = finished.stderr.text().replacen(LOGFILE_WARNING, "", 1);
    let (_, stderr_rest) = Scanner::split(&stderr_text);
    let panics = &finished.panics;
    let mut output = strip_framing(run.name, &stdout_text).trim_end().to_owned();
    if !stderr_rest.trim().is_empty() {
        if !output.is_empty() {
            output.push('\n');
        }
        output.push_str(stderr_rest.trim_end());
    }
    let failed = |message: String| (CheckStatus::Fail, Some(message));
    let (status, message) = match &finished.ending {
        Ending::Exited(code) => {
            match evidence::judge(
                run.name,
                run.sealed,
                *code,
                &stdout_text,
                run.log.as_deref(),
            ) {
                Outcome::Passed => (CheckStatus::Pass, None),
                Outcome::Ignored => (CheckStatus::Skipped, None),
                Outcome::Failed => failed(
                    panics
                        .message(run.name)
                        .unwrap_or_else(|| "the check failed without a message".into()),
                ),
                Outcome::NotRun => failed(format!(
                    "this check did not run: the test binary has no test named `{}` (the hidden tests and their seal disagree: run `asynclings dev seal`?)",
                    run.name
                )),
                Outcome::ExitedEarly(status) => failed(early_exit(status, panics)),
            }
        }
        Ending::TimedOut => (
            CheckStatus::Timeout,
            Some(format!(
                "did not finish in {}: a deadlock, or a future that is never woken?",
                human_seconds(run.time_limit)
            )),
        ),
        Ending::Flooded => failed(
            "printed megabytes of output and was stopped: is something printing in a loop?".into(),
        ),
        Ending::OverMemory => failed(format!(
            "used more than {} of memory and was stopped: something keeps growing (a queue, a buffer or a collection without bound?); a check needs far less",
            human_bytes(run.memory_limit)
        )),
        Ending::Signaled(signal) => failed(crash_message(
            *signal,
            &stderr_text,
            panics,
            run.memory_limit,
        )),
        Ending::SupervisorLost(signal) => failed(format!(
            "was stopped because its supervisor died ({}): something killed asynclings' processes",
            signal_name(*signal)
        )),
        Ending::NotStarted(reason) => bail!("could not start the check {}: {reason}", run.name),
    };
    Ok(Check {
        name: display_name(run.name).to_owned(),
        status,
        message,
        location: panics.location(run.name),
        output: output.trim().to_owned(),
        duration: finished.took,
    })
}

fn early_exit(status: i32, panics: &Panics) -> String {
    let mut message = format!(
        "the program exited (status {status}) before the check finished: `std::process::exit` in your code?"
    );
    if let Some(panic) = panics.by_the_program().last() {
        message.push_str(&format!(
            "\n(after a panic at {}: {})",
            panic.location, panic.message
        ));
    }
    message
}

/// The check's name as the learner sees it: without the `grader::` module prefix.
fn display_name(test: &str) -> &str {
    test.strip_prefix("grader::").unwrap_or(test)
}

pub fn human_seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// `1 GiB`, `512 MiB`, `1.5 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = bytes as f64 / MIB;
    if mib >= 1024.0 {
        let gib = mib / 1024.0;
        if gib.fract() == 0.0 {
            format!("{gib:.0} GiB")
        } else {
            format!("{gib:.1} GiB")
        }
    } else {
        format!("{mib:.0} MiB")
    }
}

fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned())
}

fn crash_message(signal: i32, stderr: &str, panics: &Panics, memory_limit: u64) -> String {
    if stderr.contains("has overflowed its stack") {
        return "crashed with a stack overflow: unbounded recursion? (a recursive async fn needs Box::pin, and must stop somewhere)".into();
    }
    if let Some(bytes) = failed_allocation(stderr) {
        return format!(
            "crashed: tried to allocate {} at once, more than the {} a check may use: something grows without bound?",
            human_bytes(bytes),
            human_bytes(memory_limit)
        );
    }
    let name = signal_name(signal);
    let printed: Vec<_> = panics.by_the_program().collect();
    if panics.aborted && printed.len() > 1 {
        let mut message = format!(
            "crashed ({name}): a panic while another panic was unwinding (a `Drop` that panics?), so the program aborted. The panics, in order:"
        );
        for panic in printed {
            message.push_str(&format!(
                "\n  at {}: {}",
                panic.location,
                panic.message.replace('\n', "\n    ")
            ));
        }
        return message;
    }
    match printed.last() {
        Some(panic) => format!(
            "crashed: killed by {name} after a panic at {}: {}",
            panic.location, panic.message
        ),
        None => format!("crashed: killed by {name}"),
    }
}

/// `memory allocation of 21474836480 bytes failed` → 21474836480.
fn failed_allocation(stderr: &str) -> Option<u64> {
    let (_, after) = stderr.split_once("memory allocation of ")?;
    after.split_once(" bytes failed")?.0.parse().ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::capture::Captured;

    const LIMIT: Duration = Duration::from_secs(10);
    const GIB: u64 = 1 << 30;

    fn finished(ending: Ending, stdout: &str, stderr: &str) -> Finished {
        let mut scanner = Scanner::new();
        for line in stderr.lines() {
            scanner.line(line);
        }
        Finished {
            ending,
            stdout: Captured::whole(stdout),
            stderr: Captured::whole(stderr),
            panics: scanner.finish(),
            took: Duration::from_millis(5),
        }
    }

    fn run<'a>(name: &'a str, log: Option<&str>) -> CheckRun<'a> {
        CheckRun {
            name,
            sealed: 5,
            time_limit: LIMIT,
            memory_limit: GIB,
            log: log.map(str::to_owned),
        }
    }

    #[test]
    fn a_pass_keeps_the_tests_own_output() {
        let out = "\nrunning 1 test\ntest grader::passes ... hello out\nok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s\n\n";
        let check = interpret(
            &run("grader::passes", Some("ok grader::passes\n")),
            &finished(
                Ending::Exited(0),
                out,
                &format!("{LOGFILE_WARNING}hello err\n"),
            ),
        )
        .unwrap();
        assert_eq!(check.status, CheckStatus::Pass);
        assert_eq!(check.name, "passes");
        assert_eq!(check.output, "hello out\nhello err");
    }

    #[test]
    fn exit_zero_inside_the_check_is_not_a_pass() {
        let out = "\nrunning 1 test\ntest grader::greets ... ";
        let check = interpret(
            &run("grader::greets", Some("")),
            &finished(Ending::Exited(0), out, LOGFILE_WARNING),
        )
        .unwrap();
        assert_eq!(check.status, CheckStatus::Fail);
        assert_eq!(
            check.message.as_deref(),
            Some(
                "the program exited (status 0) before the check finished: `std::process::exit` in your code?"
            )
        );
    }

    #[test]
    fn a_failure_carries_the_panic_message_and_location() {
        let out = "\nrunning 1 test\ntest grader::fails ... some output\nFAILED\n\nfailures:\n\nfailures:\n    grader::fails\n\ntest result: FAILED. 0 passed; 1 failed\n\n";
        let err = "\nthread 'grader::fails' (7556) panicked at tests/graders/x.rs:2:47:\nreturned Pending\nsecond line\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let check = interpret(
            &run("grader::fails", Some("failed grader::fails\n")),
            &finished(Ending::Exited(101), out, err),
        )
        .unwrap();
        assert_eq!(check.status, CheckStatus::Fail);
        assert_eq!(
            check.message.as_deref(),
            Some("returned Pending\nsecond line")
        );
        assert_eq!(check.location.as_deref(), Some("tests/graders/x.rs:2:47"));
        assert_eq!(check.output, "some output");
    }

    #[test]
    fn timeouts_crashes_memory_and_ignored_tests_are_named() {
        let interpret = |ending, stdout: &str, stderr: &str, log| {
            interpret(&run("grader::t", log), &finished(ending, stdout, stderr)).unwrap()
        };
        let timeout = interpret(Ending::TimedOut, "", "", None);
        assert_eq!(timeout.status, CheckStatus::Timeout);
        assert_eq!(
            timeout.message.as_deref(),
            Some("did not finish in 10 s: a deadlock, or a future that is never woken?")
        );
        let overflow = interpret(
            Ending::Signaled(6),
            "",
            "thread 'x' (1) has overflowed its stack\n",
            None,
        );
        assert!(overflow.message.unwrap().contains("stack overflow"));
        let segv = interpret(Ending::Signaled(11), "", "", None);
        assert_eq!(segv.message.as_deref(), Some("crashed: killed by SIGSEGV"));
        let memory = interpret(Ending::OverMemory, "", "", None);
        assert!(
            memory
                .message
                .unwrap()
                .starts_with("used more than 1 GiB of memory")
        );
        let huge = interpret(
            Ending::Signaled(6),
            "",
            "memory allocation of 21474836480 bytes failed\n",
            None,
        );
        assert!(
            huge.message
                .unwrap()
                .contains("tried to allocate 20 GiB at once")
        );
        let ignored = interpret(
            Ending::Exited(0),
            "\nrunning 1 test\ntest grader::t ... ignored\n\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 4 filtered out; finished in 0.00s\n",
            "",
            Some("ignored grader::t\n"),
        );
        assert_eq!(ignored.status, CheckStatus::Skipped);
    }

    #[test]
    fn a_double_panic_shows_both_panics() {
        let err = "thread 'grader::t' (44) panicked at tests/graders/d.rs:3:38:\nthe first failure\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 'grader::t' (44) panicked at exercises/d.rs:2:43:\nthe guard panicked while dropping\nstack backtrace:\n   0: x\n\nthread 'grader::t' (44) panicked at /rustc/5980/library/core/src/panicking.rs:233:5:\npanic in a destructor during cleanup\nthread caused non-unwinding panic. aborting.\n";
        let check = interpret(
            &run("grader::t", None),
            &finished(Ending::Signaled(6), "", err),
        )
        .unwrap();
        assert_eq!(
            check.message.as_deref(),
            Some(
                "crashed (SIGABRT): a panic while another panic was unwinding (a `Drop` that panics?), so the program aborted. The panics, in order:\n  at tests/graders/d.rs:3:38: the first failure\n  at exercises/d.rs:2:43: the guard panicked while dropping"
            )
        );
    }

    #[test]
    fn a_check_that_cannot_start_is_an_error() {
        let result = interpret(
            &run("grader::t", None),
            &finished(Ending::NotStarted("no such file".into()), "", ""),
        );
        assert!(result.unwrap_err().to_string().contains("no such file"));
    }

    #[test]
    fn reads_a_test_list() {
        assert_eq!(
            parse_list("grader::a: test\ngrader::b: test\n2 tests, 0 benchmarks\n"),
            ["grader::a", "grader::b"]
        );
        assert_eq!(human_bytes(512 << 20), "512 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
