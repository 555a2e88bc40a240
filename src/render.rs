//! Turning a [`Grade`] into what the learner reads: the mistake first, short, in colour when
//! the terminal has it.

use std::fmt::Write as _;

use console::style;

use crate::course::Exercise;
use crate::grade::{Check, CheckStatus, Diagnostic, Grade, GradeStatus};

/// Lines of a failing check's output shown under it.
const OUTPUT_LINES: usize = 12;

pub fn pass_mark() -> console::StyledObject<&'static str> {
    style("✓").green().bold()
}

pub fn fail_mark() -> console::StyledObject<&'static str> {
    style("✗").red().bold()
}

/// The verdict of a grade of the learner's file (or any file) of `exercise`.
pub fn verdict(grade: &Grade, exercise: &Exercise) -> String {
    let mut out = String::new();
    let subject = style(&grade.subject).underlined();
    match grade.status {
        GradeStatus::Pass => {
            let checks = grade
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Pass)
                .count();
            let _ = writeln!(
                out,
                "{} {} passes all {checks} checks: done!",
                pass_mark(),
                style(exercise.name()).bold()
            );
        }
        GradeStatus::Missing => {
            let _ = writeln!(
                out,
                "{} {subject} is missing. `asynclings reset {}` restores the shipped version.",
                fail_mark(),
                exercise.name()
            );
        }
        GradeStatus::Tampered => {
            let _ = writeln!(
                out,
                "{} the hidden tests were changed, so a grade could not be trusted:",
                fail_mark()
            );
            for file in &grade.tampered {
                let _ = writeln!(out, "    {file}");
            }
            let _ = writeln!(
                out,
                "  Restore them (`git checkout -- tests/ grading/`) and save again. If you wrote them, run `asynclings dev seal`."
            );
        }
        GradeStatus::Rejected => {
            let _ = writeln!(
                out,
                "{} {subject} was refused before any check ran:",
                fail_mark()
            );
            for problem in &grade.diagnostics {
                let _ = writeln!(out, "  {}", problem.message);
            }
        }
        GradeStatus::CompileError => {
            let _ = writeln!(out, "{} {subject} does not compile\n", fail_mark());
            compile_errors(&mut out, grade);
        }
        GradeStatus::Fail | GradeStatus::Timeout => {
            let failed = grade.failed_checks().count();
            let total = grade.checks.len();
            let headline = if failed == 0 {
                "passes its checks, but lints are enforced here".to_owned()
            } else {
                format!("fails {failed} of {total} checks")
            };
            let _ = writeln!(out, "{} {subject} {headline}\n", fail_mark());
            for check in &grade.checks {
                check_line(&mut out, check, &grade.subject);
            }
            if !grade.diagnostics.is_empty() {
                let _ = writeln!(
                    out,
                    "\n  {} clippy is enforced for this exercise:\n",
                    fail_mark()
                );
                for lint in &grade.diagnostics {
                    let _ = writeln!(out, "{}", rendered(lint).trim_end());
                }
            }
        }
    }
    out
}

fn compile_errors(out: &mut String, grade: &Grade) {
    let Some(first) = grade.diagnostics.first() else {
        let _ = writeln!(out, "  (the compiler gave no message)");
        return;
    };
    if first.file.as_deref().is_some_and(|f| f != grade.subject) {
        let _ = writeln!(
            out,
            "{}\n",
            style("Your file compiles on its own, but the hidden checks cannot use it like this (the error is where they call your code):").yellow()
        );
    }
    let _ = writeln!(out, "{}", rendered(first).trim_end());
    let more = grade.diagnostics.len() - 1;
    if more > 0 {
        let _ = writeln!(
            out,
            "\n{}",
            style(format!(
                "(and {more} more {})",
                if more == 1 { "error" } else { "errors" }
            ))
            .dim()
        );
    }
}

fn check_line(out: &mut String, check: &Check, subject: &str) {
    let mark = match check.status {
        CheckStatus::Pass => pass_mark(),
        CheckStatus::Fail => fail_mark(),
        CheckStatus::Timeout => style("⧗").yellow().bold(),
        CheckStatus::Skipped => style("-").dim(),
    };
    let name = check.name.replace('_', " ");
    let _ = writeln!(
        out,
        "  {mark} {}",
        if check.status == CheckStatus::Pass {
            style(name).dim()
        } else {
            style(name).bold()
        }
    );
    if check.status == CheckStatus::Pass {
        return;
    }
    if let Some(message) = &check.message {
        for line in message.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    // A panic inside the learner's own code (an unwrap, a todo!) is worth pointing at.
    if let Some(location) = check.location.as_deref().filter(|l| l.starts_with(subject)) {
        let _ = writeln!(
            out,
            "      {} {}",
            style("at").dim(),
            style(location).underlined()
        );
    }
    if !check.output.is_empty() {
        let lines: Vec<&str> = check.output.lines().collect();
        let _ = writeln!(out, "      {}", style("output:").dim());
        for line in lines.iter().take(OUTPUT_LINES) {
            let _ = writeln!(out, "      {} {line}", style("│").dim());
        }
        if lines.len() > OUTPUT_LINES {
            let _ = writeln!(
                out,
                "      {} … {} more lines",
                style("│").dim(),
                lines.len() - OUTPUT_LINES
            );
        }
    }
}

/// rustc's rendering, in colour only where colour is on.
fn rendered(diagnostic: &Diagnostic) -> String {
    if diagnostic.rendered.is_empty() {
        return format!("{}: {}", diagnostic.level, diagnostic.message);
    }
    if console::colors_enabled() {
        diagnostic.rendered.clone()
    } else {
        console::strip_ansi_codes(&diagnostic.rendered).into_owned()
    }
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

/// The first line of the first failing check's message (or of the first error), for tables.
pub fn first_reason(grade: &Grade) -> Option<String> {
    match grade.status {
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
        GradeStatus::Rejected => grade.diagnostics.first().map(|d| d.message.clone()),
        GradeStatus::Missing => Some(format!("{} is missing", grade.subject)),
        GradeStatus::Fail | GradeStatus::Timeout => grade
            .failed_checks()
            .next()
            .map(|c| {
                format!(
                    "{}: {}",
                    c.name,
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
    }
}
