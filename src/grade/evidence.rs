//! Positive evidence that a check ran to its end: exit status 0 of a process running learner
//! code proves nothing (`std::process::exit(0)` gives it), so a pass needs all of
//!
//! - the exit status 0;
//! - libtest's own result line for exactly this test, `test NAME ... ok`;
//! - libtest's summary with exactly the expected counts: 1 passed, 0 failed, 0 ignored,
//!   0 measured, and every other sealed check filtered out;
//! - libtest's log file, whose name asynclings chose at random for this run, saying `ok NAME`:
//!   libtest writes it only after the test function returned.
//!
//! An early exit, a panic hook or a thread that ends the process, or a test binary that does
//! not contain the check, each produce their own outcome rather than a pass.

/// What the evidence says about one check's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// `#[ignore]`d by the grader's author.
    Ignored,
    /// libtest ran the test and it failed (a panic).
    Failed,
    /// The test binary has no test of this name, so nothing ran.
    NotRun,
    /// The process ended (with this status) before libtest reported the test's result.
    ExitedEarly(i32),
}

/// libtest's `test result:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Summary {
    ok: bool,
    passed: u64,
    failed: u64,
    ignored: u64,
    measured: u64,
    filtered_out: u64,
}

/// Judges a check that exited with `status`. `stdout` is what it printed, `log` what libtest
/// wrote in the run's log file (`None`: no file), `sealed` the number of sealed checks.
pub fn judge(name: &str, sealed: usize, status: i32, stdout: &str, log: Option<&str>) -> Outcome {
    let summary = summary(stdout);
    let word = result_word(name, stdout);
    let logged = log.map(str::trim);
    let others = sealed.saturating_sub(1) as u64;
    let expect = |passed, ignored| Summary {
        ok: true,
        passed,
        failed: 0,
        ignored,
        measured: 0,
        filtered_out: others,
    };
    if status == 0
        && word == Some("ok")
        && summary == Some(expect(1, 0))
        && logged == Some(format!("ok {name}").as_str())
    {
        return Outcome::Passed;
    }
    if status == 0
        && word == Some("ignored")
        && summary == Some(expect(0, 1))
        && logged == Some(format!("ignored {name}").as_str())
    {
        return Outcome::Ignored;
    }
    if status == 101
        && (word == Some("FAILED") || logged == Some(format!("failed {name}").as_str()))
    {
        return Outcome::Failed;
    }
    if word.is_none() && summary.is_some_and(|s| s.passed + s.failed + s.ignored == 0) {
        return Outcome::NotRun;
    }
    Outcome::ExitedEarly(status)
}

/// The word libtest printed for `name`: `ok`, `FAILED` or `ignored`. With `--nocapture` the
/// test's own output comes between `test NAME ... ` and that word (and a thread of the test
/// may print after it), so it is the last line between there and the summary (or the failures
/// list) that ends with one of the words.
fn result_word<'a>(name: &str, stdout: &'a str) -> Option<&'a str> {
    let prefix = format!("test {name} ... ");
    let start = stdout.find(&prefix)? + prefix.len();
    let rest = &stdout[start..];
    let end = rest
        .find("\n\nfailures:\n")
        .or_else(|| rest.rfind("\ntest result: "))?;
    rest[..end].lines().rev().find_map(|line| {
        let line = line.trim_end();
        ["ok", "FAILED", "ignored"]
            .into_iter()
            .find(|word| line.ends_with(word))
    })
}

/// The last `test result:` line of `stdout`.
fn summary(stdout: &str) -> Option<Summary> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("test result: "))?;
    let (verdict, counts) = line.split_once(". ")?;
    let mut numbers = counts.split("; ").map(|part| {
        let (n, what) = part.split_once(' ')?;
        Some((n.parse::<u64>().ok()?, what))
    });
    let mut next = |expected: &str| match numbers.next().flatten() {
        Some((n, what)) if what == expected => Some(n),
        _ => None,
    };
    Some(Summary {
        ok: verdict == "ok",
        passed: next("passed")?,
        failed: next("failed")?,
        ignored: next("ignored")?,
        measured: next("measured")?,
        filtered_out: next("filtered out")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "grader::greets";

    fn passed_stdout(filtered: u64) -> String {
        format!(
            "\nrunning 1 test\ntest {NAME} ... hello\nok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; {filtered} filtered out; finished in 0.00s\n\n"
        )
    }

    #[test]
    fn a_pass_needs_every_piece_of_evidence() {
        let stdout = passed_stdout(2);
        let log = Some("ok grader::greets\n");
        assert_eq!(judge(NAME, 3, 0, &stdout, log), Outcome::Passed);
        // Without the log file's line (an exit after printing a forged result): no pass.
        assert_eq!(
            judge(NAME, 3, 0, &stdout, Some("")),
            Outcome::ExitedEarly(0)
        );
        assert_eq!(judge(NAME, 3, 0, &stdout, None), Outcome::ExitedEarly(0));
        // Another test's log line, or a summary with the wrong counts: no pass.
        assert_eq!(
            judge(NAME, 3, 0, &stdout, Some("ok grader::other")),
            Outcome::ExitedEarly(0)
        );
        assert_eq!(
            judge(NAME, 4, 0, &stdout, log),
            Outcome::ExitedEarly(0),
            "a binary with another number of checks than sealed"
        );
        // A status other than 0 after everything was printed: not a pass.
        assert_eq!(judge(NAME, 3, 3, &stdout, log), Outcome::ExitedEarly(3));
    }

    #[test]
    fn an_exit_inside_the_test_is_an_early_exit() {
        let stdout = format!("\nrunning 1 test\ntest {NAME} ... partial output\n");
        assert_eq!(
            judge(NAME, 2, 0, &stdout, Some("")),
            Outcome::ExitedEarly(0)
        );
        assert_eq!(
            judge(NAME, 2, 7, &stdout, Some("")),
            Outcome::ExitedEarly(7)
        );
        // exit(101) without libtest's FAILED is an exit too, not a failed assertion.
        assert_eq!(
            judge(NAME, 2, 101, &stdout, Some("")),
            Outcome::ExitedEarly(101)
        );
    }

    #[test]
    fn failures_ignored_tests_and_missing_tests() {
        let failed = format!(
            "\nrunning 1 test\ntest {NAME} ... FAILED\n\nfailures:\n\nfailures:\n    {NAME}\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.12s\n\n"
        );
        assert_eq!(
            judge(NAME, 2, 101, &failed, Some("failed grader::greets\n")),
            Outcome::Failed
        );
        let ignored = format!(
            "\nrunning 1 test\ntest {NAME} ... ignored\n\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 1 filtered out; finished in 0.00s\n\n"
        );
        assert_eq!(
            judge(NAME, 2, 0, &ignored, Some("ignored grader::greets\n")),
            Outcome::Ignored
        );
        let none = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s\n\n";
        assert_eq!(judge(NAME, 2, 0, none, Some("")), Outcome::NotRun);
    }

    #[test]
    fn reads_the_summary_line() {
        assert_eq!(
            summary(&passed_stdout(4)),
            Some(Summary {
                ok: true,
                passed: 1,
                failed: 0,
                ignored: 0,
                measured: 0,
                filtered_out: 4
            })
        );
        assert_eq!(summary("test result: ok. lots passed"), None);
        assert_eq!(result_word(NAME, &passed_stdout(0)), Some("ok"));
        // A thread of the test that prints after libtest's verdict does not hide it.
        let late = format!(
            "\nrunning 1 test\ntest {NAME} ... ok\nlate line from a thread\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n"
        );
        assert_eq!(result_word(NAME, &late), Some("ok"));
        assert_eq!(
            result_word(NAME, "\nrunning 1 test\ntest other ... ok\n"),
            None
        );
    }
}
