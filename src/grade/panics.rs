//! Finding panics in a test's stderr, line by line as it streams (so a panic printed after
//! megabytes of other output is still found), with identical panics folded into one and a
//! count, and the abort that follows a panic during unwinding recognised.

/// A bound on what one panic message keeps.
const MESSAGE_LINES: usize = 40;
const MESSAGE_BYTES: usize = 8 * 1024;
/// Distinct panics kept; past that, the last slot always holds the latest panic.
const DISTINCT: usize = 16;

/// One distinct panic and how often it was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    pub message: String,
    /// `file:line:col`, as the panic printed it.
    pub location: String,
    /// The panicking thread's name as printed (`<unnamed>` for a nameless one); libtest names
    /// a check's own thread after the check.
    pub thread: String,
    pub count: u64,
}

/// The panics of one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Panics {
    /// In the order they were first printed; the last one is the latest.
    pub found: Vec<Panic>,
    /// Panics not kept (beyond [`DISTINCT`] distinct ones).
    pub omitted: u64,
    /// Whether the standard library said it aborted: a panic while another one unwound (a
    /// `Drop` that panics), or a panic that may not unwind.
    pub aborted: bool,
}

impl Panics {
    /// The panics the learner should read, the standard library's own abort notice left out.
    pub fn by_the_program(&self) -> impl Iterator<Item = &Panic> {
        self.found.iter().filter(|p| !is_std_notice(p))
    }

    /// The panic that failed the check, with earlier distinct ones (often the real cause: a
    /// panic in a spawned task that the test then unwrapped) after it. The check's own thread
    /// (`test`, libtest names it after the check) decides: its latest panic is the verdict,
    /// because a thread the check left behind may still panic after it. Without a panic of the
    /// check's thread, the latest panic.
    pub fn message(&self, test: &str) -> Option<String> {
        let found: Vec<&Panic> = self.by_the_program().collect();
        let failed = failing_index(&found, test)?;
        let last = found[failed];
        let earlier = &found[..failed];
        let mut message = last.message.clone();
        for panic in earlier {
            if panic.message != last.message && !last.message.contains(panic.message.as_str()) {
                message.push_str(&format!(
                    "\n(earlier panic at {}: {}){}",
                    panic.location,
                    panic.message,
                    times(panic.count)
                ));
            }
        }
        if self.omitted > 0 {
            message.push_str(&format!("\n(and {} more panics)", self.omitted));
        }
        Some(message)
    }

    /// Where the panic that failed the check happened (see [`Panics::message`]).
    pub fn location(&self, test: &str) -> Option<String> {
        let found: Vec<&Panic> = self.by_the_program().collect();
        failing_index(&found, test).map(|i| found[i].location.clone())
    }
}

/// The latest panic of the check's own thread, or else the latest panic.
fn failing_index(found: &[&Panic], test: &str) -> Option<usize> {
    found
        .iter()
        .rposition(|p| p.thread == test)
        .or(found.len().checked_sub(1))
}

fn times(count: u64) -> String {
    if count > 1 {
        format!(" ×{count}")
    } else {
        String::new()
    }
}

/// The standard library's "panic in a destructor during cleanup" and its kin, located in
/// the standard library itself.
fn is_std_notice(panic: &Panic) -> bool {
    panic.location.contains("/library/core/") || panic.location.contains("/library/std/")
}

/// Where the scanner is in the stream.
enum State {
    Outside,
    /// Collecting a panic's message.
    InPanic {
        location: String,
        thread: String,
        lines: Vec<String>,
        bytes: usize,
    },
    /// Skipping a backtrace (the standard library prints one for a panic during unwinding,
    /// whatever RUST_BACKTRACE says).
    InBacktrace,
}

/// Scans stderr lines; lines that are not part of a panic are collected when asked to.
pub struct Scanner {
    panics: Panics,
    state: State,
    keep_other_lines: bool,
    other: String,
}

impl Scanner {
    /// A scanner that only finds panics (for a stream read as it comes).
    pub fn new() -> Self {
        Self {
            panics: Panics::default(),
            state: State::Outside,
            keep_other_lines: false,
            other: String::new(),
        }
    }

    /// The panics of `text` and its lines that are not part of one.
    pub fn split(text: &str) -> (Panics, String) {
        let mut scanner = Self {
            keep_other_lines: true,
            ..Self::new()
        };
        for line in text.lines() {
            scanner.line(line);
        }
        let other = std::mem::take(&mut scanner.other);
        (scanner.finish(), other)
    }

    pub fn line(&mut self, line: &str) {
        if let Some(location) = panic_location(line) {
            self.end_panic();
            self.state = State::InPanic {
                location: location.to_owned(),
                thread: panic_thread(line).to_owned(),
                lines: Vec::new(),
                bytes: 0,
            };
            return;
        }
        if line.starts_with("thread caused non-unwinding panic. aborting.")
            || line.starts_with("fatal runtime error:")
        {
            self.end_panic();
            self.panics.aborted = true;
            self.state = State::Outside;
            return;
        }
        if line.starts_with("note: run with `RUST_BACKTRACE") {
            self.end_panic();
            self.state = State::Outside;
            return;
        }
        if line == "stack backtrace:" {
            self.end_panic();
            self.state = State::InBacktrace;
            return;
        }
        match &mut self.state {
            State::InPanic { lines, bytes, .. } => {
                if lines.len() < MESSAGE_LINES && *bytes < MESSAGE_BYTES {
                    *bytes += line.len();
                    lines.push(line.to_owned());
                }
            }
            State::InBacktrace if is_backtrace_line(line) => {}
            State::InBacktrace | State::Outside => {
                self.state = State::Outside;
                if self.keep_other_lines {
                    self.other.push_str(line);
                    self.other.push('\n');
                }
            }
        }
    }

    pub fn finish(mut self) -> Panics {
        self.end_panic();
        self.panics
    }

    fn end_panic(&mut self) {
        let State::InPanic {
            location,
            thread,
            lines,
            ..
        } = std::mem::replace(&mut self.state, State::Outside)
        else {
            return;
        };
        let message = lines.join("\n").trim().to_owned();
        let found = &mut self.panics.found;
        if let Some(same) = found
            .iter_mut()
            .find(|p| p.message == message && p.location == location && p.thread == thread)
        {
            same.count += 1;
            return;
        }
        let panic = Panic {
            message,
            location,
            thread,
            count: 1,
        };
        if found.len() < DISTINCT {
            found.push(panic);
        } else if let Some(last) = found.last_mut() {
            self.panics.omitted += last.count;
            *last = panic;
        }
    }
}

/// `thread 'x' (123) panicked at src/lib.rs:2:5:` → `src/lib.rs:2:5`.
fn panic_location(line: &str) -> Option<&str> {
    if !line.starts_with("thread '") {
        return None;
    }
    let (_, location) = line.split_once(" panicked at ")?;
    Some(location.strip_suffix(':').unwrap_or(location))
}

/// `thread 'x' (123) panicked at …` → `x`.
fn panic_thread(line: &str) -> &str {
    line.strip_prefix("thread '")
        .and_then(|rest| rest.split_once('\''))
        .map_or("", |(name, _)| name)
}

/// `  12:     0x5644 - name`, `       at /path:1:2`, or the note after a backtrace.
fn is_backtrace_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("at ")
        || trimmed.starts_with("note: ")
        || trimmed
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Panics {
        let mut scanner = Scanner::new();
        for line in text.lines() {
            scanner.line(line);
        }
        scanner.finish()
    }

    #[test]
    fn the_last_panic_fails_the_check_and_earlier_ones_are_named() {
        let err = "\nthread 't' (1) panicked at exercises/a.rs:3:70:\ninner task boom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 't' (1) panicked at tests/graders/a.rs:3:108:\nthe fetch task failed: task 1 panicked\n";
        let panics = scan(err);
        assert_eq!(
            panics.message("t").as_deref(),
            Some(
                "the fetch task failed: task 1 panicked\n(earlier panic at exercises/a.rs:3:70: inner task boom)"
            )
        );
        assert_eq!(
            panics.location("t").as_deref(),
            Some("tests/graders/a.rs:3:108")
        );
    }

    #[test]
    fn the_check_threads_own_panic_is_the_verdict_even_when_another_thread_panics_later() {
        // A thread the check left behind panics again after the check's own verdict.
        let err = "\nthread 'watched' panicked at exercises/a.rs:3:9:\nresumed after completion\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 'grader::t' (3) panicked at grading/src/watchdog.rs:1:1:\nthe monitor kept the runtime busy\n\nthread 'watched' (7) panicked at exercises/a.rs:3:9:\nresumed after completion\n";
        let panics = scan(err);
        assert_eq!(
            panics.message("grader::t").as_deref(),
            Some(
                "the monitor kept the runtime busy\n(earlier panic at exercises/a.rs:3:9: resumed after completion) ×2"
            )
        );
        assert_eq!(
            panics.location("grader::t").as_deref(),
            Some("grading/src/watchdog.rs:1:1")
        );
    }

    #[test]
    fn identical_panics_fold_into_one_with_a_count() {
        let mut err = String::new();
        for thread in 0..1000 {
            err.push_str(&format!(
                "\nthread '<unnamed>' ({thread}) panicked at exercises/a.rs:5:57:\nearlier panic\n"
            ));
        }
        err.push_str("\nthread 'many' (7) panicked at tests/graders/a.rs:7:3:\nfinal\n");
        let panics = scan(&err);
        assert_eq!(panics.found.len(), 2);
        assert_eq!(
            panics.message("many").as_deref(),
            Some("final\n(earlier panic at exercises/a.rs:5:57: earlier panic) ×1000")
        );
    }

    #[test]
    fn a_panic_during_unwinding_keeps_both_panics_and_skips_the_backtrace() {
        let err = "thread 'double' (44) panicked at tests/graders/d.rs:3:38:\nassertion `left == right` failed: the first failure\n  left: 1\n right: 2\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 'double' (44) panicked at exercises/d.rs:2:43:\nthe guard panicked while dropping\nstack backtrace:\n   0:     0x5644b79cdc4a - std::backtrace_rs::trace\n                               at /rustc/x/library/std/src/backtrace.rs:117:9\n  43:                0x0 - <unknown>\n\nthread 'double' (44) panicked at /rustc/5980/library/core/src/panicking.rs:233:5:\npanic in a destructor during cleanup\nthread caused non-unwinding panic. aborting.\n";
        let (panics, other) = Scanner::split(err);
        assert!(panics.aborted);
        let messages: Vec<&str> = panics
            .by_the_program()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "assertion `left == right` failed: the first failure\n  left: 1\n right: 2",
                "the guard panicked while dropping"
            ]
        );
        assert_eq!(other.trim(), "");
    }

    #[test]
    fn many_distinct_panics_keep_the_first_ones_and_the_latest() {
        let mut err = String::new();
        for n in 0..40 {
            err.push_str(&format!(
                "thread 'x' (1) panicked at a.rs:{n}:1:\npanic {n}\n"
            ));
        }
        let panics = scan(&err);
        assert_eq!(panics.found.len(), DISTINCT);
        assert_eq!(panics.found.last().unwrap().message, "panic 39");
        assert_eq!(panics.omitted, 40 - DISTINCT as u64);
    }

    #[test]
    fn other_lines_are_kept_apart() {
        let (panics, other) = Scanner::split("hello\nthread 'x' (1) panicked at a.rs:1:1:\nboom\n");
        assert_eq!(other, "hello\n");
        assert_eq!(panics.found[0].message, "boom");
    }
}
