//! Turning a [`Grade`] into what the learner reads: the mistake first, short, in colour when
//! the terminal has it. A verdict is a [`Report`] of ranked blocks, so `run` can print it whole
//! and watch can fit it to the screen, the failure first.
//!
//! Everything that came from the learner's program or the compiler passes through
//! [`crate::untrusted`] before it is measured or shown.

pub mod diff;
pub mod text;

use console::style;

use crate::course::Exercise;
use crate::grade::{Check, CheckStatus, Diagnostic, Grade, GradeStatus};
use crate::invocation;
use crate::untrusted;
pub use text::{Flow, Line, Rank, Report};

/// Lines of a failing check's output shown under it.
const OUTPUT_LINES: usize = 12;

pub fn pass_mark() -> console::StyledObject<&'static str> {
    style("✓").green().bold()
}

pub fn fail_mark() -> console::StyledObject<&'static str> {
    style("✗").red().bold()
}

/// Who reads the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `run`, `verify` and the results documents: the headline names the graded file.
    Run,
    /// watch, whose header already names the file: the headline is shorter.
    Watch,
}

/// A check's name as people read it: `rings_after_its_duration` → "rings after its duration".
pub fn check_title(name: &str) -> String {
    name.replace('_', " ")
}

/// The verdict of a grade of the learner's file (or any file) of `exercise`, unwrapped.
pub fn verdict(grade: &Grade, exercise: &Exercise) -> String {
    report(grade, exercise, Audience::Run).text(None)
}

/// The verdict as ranked blocks.
pub fn report(grade: &Grade, exercise: &Exercise, audience: Audience) -> Report {
    let mut out = Report::default();
    let subject = match audience {
        Audience::Run => format!("{} ", style(&grade.subject).underlined()),
        Audience::Watch => String::new(),
    };
    let headline = |out: &mut Report, mark, text: String| {
        out.push(Rank::Essential, Line::words(format!("{mark} "), text));
    };
    match grade.status {
        GradeStatus::Pass => {
            let checks = grade
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Pass)
                .count();
            headline(
                &mut out,
                pass_mark(),
                format!(
                    "{} passes all {checks} checks: done!",
                    style(exercise.name()).bold()
                ),
            );
        }
        GradeStatus::Missing => headline(
            &mut out,
            fail_mark(),
            format!(
                "{}is missing. `{}` restores the shipped version.",
                style(&grade.subject).underlined().to_string() + " ",
                invocation::command(&format!("reset {}", exercise.name()))
            ),
        ),
        GradeStatus::Tampered => {
            headline(
                &mut out,
                fail_mark(),
                "the hidden tests were changed, so a grade could not be trusted:".into(),
            );
            for file in &grade.tampered {
                out.push(
                    Rank::FirstFailure,
                    Line::words("    ", untrusted::inert(file)),
                );
            }
            out.push(
                Rank::FirstFailure,
                Line::words(
                    "  ",
                    format!(
                        "Restore them (`git checkout -- tests/ grading/`) and save again. If you wrote them, run `{}`.",
                        invocation::command("dev seal")
                    ),
                ),
            );
        }
        GradeStatus::CompileError => {
            headline(&mut out, fail_mark(), format!("{subject}does not compile"));
            out.gap();
            compile_errors(&mut out, grade);
            warnings(&mut out, grade);
        }
        GradeStatus::Fail | GradeStatus::Timeout => {
            let failed = grade.failed_checks().count();
            let total = grade.checks.len();
            let text = if failed == 0 {
                "passes its checks, but lints are enforced here".to_owned()
            } else {
                format!("fails {failed} of {total} checks")
            };
            headline(&mut out, fail_mark(), format!("{subject}{text}"));
            out.gap();
            let mut first = true;
            for check in &grade.checks {
                let failing = matches!(check.status, CheckStatus::Fail | CheckStatus::Timeout);
                let rank = match (failing, first) {
                    (false, _) => Rank::Passed,
                    (true, true) => Rank::FirstFailure,
                    (true, false) => Rank::OtherFailure,
                };
                first &= !failing;
                check_lines(&mut out, check, rank, &grade.subject);
            }
            if !grade.diagnostics.is_empty() {
                let rank = if failed == 0 {
                    Rank::FirstFailure
                } else {
                    Rank::OtherFailure
                };
                out.gap();
                out.push(
                    rank,
                    Line::words(
                        format!("  {} ", fail_mark()),
                        "clippy is enforced for this exercise:",
                    ),
                );
                for lint in &grade.diagnostics {
                    out.push_lines(rank, "", &rendered(lint), Flow::Verbatim);
                }
            }
            warnings(&mut out, grade);
        }
    }
    out
}

fn compile_errors(out: &mut Report, grade: &Grade) {
    let Some(first) = grade.diagnostics.first() else {
        out.push(
            Rank::FirstFailure,
            Line::words("  ", "(the compiler gave no message)"),
        );
        return;
    };
    if first.file.as_deref().is_some_and(|f| f != grade.subject) {
        out.push(
            Rank::FirstFailure,
            Line::words(
                "",
                style("Your file compiles on its own, but the hidden checks cannot use it like this (the error is where they call your code):").yellow().to_string(),
            ),
        );
    }
    out.push_lines(Rank::FirstFailure, "", &rendered(first), Flow::Verbatim);
    let more = grade.diagnostics.len() - 1;
    if more > 0 {
        out.gap();
        out.push(
            Rank::OtherFailure,
            Line::words(
                "",
                style(format!(
                    "(and {more} more {}: `{}` shows them all)",
                    if more == 1 { "error" } else { "errors" },
                    invocation::command(&format!("run {}", grade.exercise))
                ))
                .dim()
                .to_string(),
            ),
        );
    }
}

/// The compiler's warnings about the learner's file: with a failing grade they are often the
/// clue (an unused future is a future never awaited).
fn warnings(out: &mut Report, grade: &Grade) {
    if grade.warnings.is_empty() {
        return;
    }
    out.gap();
    out.push(
        Rank::Warning,
        Line::words(
            "",
            style(format!(
                "The compiler warns about your file ({}):",
                grade.warnings.len()
            ))
            .yellow()
            .to_string(),
        ),
    );
    for warning in &grade.warnings {
        out.push_lines(Rank::Warning, "", &rendered(warning), Flow::Verbatim);
    }
}

fn check_lines(out: &mut Report, check: &Check, rank: Rank, subject: &str) {
    let mark = match check.status {
        CheckStatus::Pass => pass_mark(),
        CheckStatus::Fail => fail_mark(),
        CheckStatus::Timeout => style("⧗").yellow().bold(),
        CheckStatus::Skipped => style("-").dim(),
    };
    let name = check_title(&check.name);
    let name = if check.status == CheckStatus::Pass {
        style(name).dim()
    } else {
        style(name).bold()
    };
    out.push(rank, Line::words(format!("  {mark} "), name.to_string()));
    if rank == Rank::Passed {
        return;
    }
    if let Some(message) = &check.message {
        out.push_lines(rank, "      ", &untrusted::inert(message), Flow::Words);
    }
    // A panic inside the learner's own code (an unwrap, a todo!) is worth pointing at.
    if let Some(location) = check.location.as_deref().filter(|l| l.starts_with(subject)) {
        out.push(
            rank,
            Line::words(
                format!("      {} ", style("at").dim()),
                style(untrusted::inert(location)).underlined().to_string(),
            ),
        );
    }
    if !check.output.is_empty() {
        let output = untrusted::inert(&check.output);
        let lines: Vec<&str> = output.lines().collect();
        let bar = format!("      {} ", style("│").dim());
        out.push(
            Rank::Detail,
            Line::words("      ", style("output:").dim().to_string()),
        );
        for line in lines.iter().take(OUTPUT_LINES) {
            out.push(Rank::Detail, Line::verbatim(bar.clone(), *line));
        }
        if lines.len() > OUTPUT_LINES {
            out.push(
                Rank::Detail,
                Line::words(
                    bar.clone(),
                    format!("… {} more lines", lines.len() - OUTPUT_LINES),
                ),
            );
        }
    }
}

/// rustc's rendering (its colour codes only, and only where colour is on), else its message.
fn rendered(diagnostic: &Diagnostic) -> String {
    if diagnostic.rendered.is_empty() {
        return untrusted::inert(&format!("{}: {}", diagnostic.level, diagnostic.message));
    }
    let rendered = if console::colors_enabled() {
        untrusted::compiler_rendering(&diagnostic.rendered)
    } else {
        untrusted::inert(&console::strip_ansi_codes(&diagnostic.rendered))
    };
    rendered.trim_end().to_owned()
}

/// One line summing up a grade, for tables.
pub fn status_word(status: GradeStatus) -> console::StyledObject<&'static str> {
    let word = status.as_str();
    match status {
        GradeStatus::Pass => style(word).green(),
        GradeStatus::Timeout => style(word).yellow(),
        _ => style(word).red(),
    }
}

/// [`first_reason`] with the check named as people read it ("answers forty two"), as watch
/// shows it: for `verify`'s table and watch's log.
pub fn reason_for_people(grade: &Grade) -> Option<String> {
    reason(grade, &check_title)
}

/// The first line of the first failing check's message (or of the first error), for one-line
/// reports that tools read (the check named as the grader spells it); the text is inert.
pub fn first_reason(grade: &Grade) -> Option<String> {
    reason(grade, &str::to_owned)
}

fn reason(grade: &Grade, name: &dyn Fn(&str) -> String) -> Option<String> {
    let reason = match grade.status {
        GradeStatus::Pass => None,
        GradeStatus::CompileError => grade.diagnostics.first().map(|d| {
            let at = d
                .file
                .as_ref()
                .map(|f| format!(" ({f}:{})", d.line.unwrap_or(0)))
                .unwrap_or_default();
            format!("{}{at}", d.message)
        }),
        GradeStatus::Tampered => grade.tampered.first().cloned(),
        GradeStatus::Missing => Some(format!("{} is missing", grade.subject)),
        GradeStatus::Fail | GradeStatus::Timeout => grade
            .failed_checks()
            .next()
            .map(|c| {
                format!(
                    "{}: {}",
                    name(&c.name),
                    c.message
                        .as_deref()
                        .unwrap_or("")
                        .lines()
                        .next()
                        .unwrap_or("")
                )
            })
            .or_else(|| {
                grade
                    .diagnostics
                    .first()
                    .map(|d| format!("lint: {}", d.message))
            }),
    };
    reason.map(|r| untrusted::inert(&r))
}

/// The width to wrap to: the terminal's, or none when stdout is a pipe or a file (scripts get
/// one logical line per line).
pub fn terminal_width() -> Option<usize> {
    let term = console::Term::stdout();
    if !term.is_term() {
        return None;
    }
    term.size_checked().map(|(_, columns)| usize::from(columns))
}
