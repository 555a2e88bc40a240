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
use crate::seal::Mismatch;
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
        GradeStatus::Tampered | GradeStatus::Unsealed => seal_mismatch(&mut out, grade),
        GradeStatus::Rejected => {
            headline(
                &mut out,
                fail_mark(),
                format!("{subject}was refused before any check ran:"),
            );
            // The messages quote symbol names the graded file chose.
            for problem in &grade.diagnostics {
                out.push(
                    Rank::FirstFailure,
                    Line::words("  ", untrusted::inert(&problem.message)),
                );
            }
        }
        GradeStatus::CompileError => {
            headline(&mut out, fail_mark(), format!("{subject}does not compile"));
            out.gap();
            compile_errors(&mut out, grade, exercise);
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

/// Why hidden files could not be trusted, and what to do: restore what was changed (saying
/// that this discards the changes, and naming exactly those files, in the course's own layout),
/// seal what was written on purpose.
fn seal_mismatch(out: &mut Report, grade: &Grade) {
    let (changed, unsealed): (Vec<&Mismatch>, Vec<&Mismatch>) =
        grade.tampered.iter().partition(|m| m.is_tampering());
    let headline = if changed.is_empty() {
        "hidden files are not sealed yet, so a grade could not be trusted:"
    } else {
        "hidden files differ from the course's seal, so a grade could not be trusted:"
    };
    out.push(
        Rank::Essential,
        Line::words(format!("{} ", fail_mark()), headline),
    );
    for mismatch in &grade.tampered {
        out.push(
            Rank::FirstFailure,
            Line::words("    ", untrusted::inert(&mismatch.to_string())),
        );
    }
    if let Some(first) = changed.first() {
        let root = first.course_root();
        let files = invocation::quote_all(changed.iter().map(|m| &m.file));
        out.push(
            Rank::FirstFailure,
            Line::words(
                "  ",
                "To grade, put them back as shipped (this discards any edits to them):",
            ),
        );
        out.push(
            Rank::FirstFailure,
            Line::words(
                "    ",
                untrusted::inert(&invocation::git_in(&root, &format!("checkout -- {files}"))),
            ),
        );
    }
    out.push(
        Rank::FirstFailure,
        Line::words(
            "  ",
            format!(
                "{}, `{}` records them as they are now.",
                if changed.is_empty() {
                    "If you wrote them (you are writing this course)"
                } else {
                    "If you are writing this course and changed them on purpose"
                },
                invocation::command("dev seal")
            ),
        ),
    );
    if !unsealed.is_empty() && !changed.is_empty() {
        out.push(
            Rank::FirstFailure,
            Line::words(
                "  ",
                "(Files not sealed yet are new since the last seal: nothing to restore.)",
            ),
        );
    }
}

fn compile_errors(out: &mut Report, grade: &Grade, exercise: &Exercise) {
    let Some(first) = grade.diagnostics.first() else {
        out.push(
            Rank::FirstFailure,
            Line::words("  ", "(the compiler gave no message)"),
        );
        return;
    };
    let located = first.file.as_deref().unwrap_or("a hidden file");
    // An error in a hidden file that the course's own solution causes too is the course's
    // fault: a learner is told so (and whom to tell), an author what to fix.
    if grade.course_broken && grade.subject == exercise.file().to_string_lossy() {
        out.push(
            Rank::FirstFailure,
            Line::words(
                "",
                style(format!(
                    "The course is broken, not your file: its hidden tests do not compile \
                     ({located}), not even with the course's own solution. Report it to the \
                     course's authors, with the error below."
                ))
                .yellow()
                .to_string(),
            ),
        );
        out.gap();
    } else if grade.course_broken {
        out.push(
            Rank::FirstFailure,
            Line::words(
                "",
                style(format!(
                    "The hidden tests do not compile ({located}), not even with the solution: \
                     the course is broken. Fix the hidden tests (or the solution)."
                ))
                .yellow()
                .to_string(),
            ),
        );
        out.gap();
    } else if first.file.as_deref().is_some_and(|f| f != grade.subject) {
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
            let blame = if grade.course_broken {
                "the hidden tests do not compile, not even with the solution: "
            } else {
                ""
            };
            format!("{blame}{}{}", d.message, diagnostic_location(d, " (", ")"))
        }),
        GradeStatus::Tampered | GradeStatus::Unsealed => {
            grade.tampered.first().map(ToString::to_string)
        }
        GradeStatus::Rejected => grade.diagnostics.first().map(|d| d.message.clone()),
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
                    .map(|d| format!("lint: {}{}", d.message, diagnostic_location(d, " (", ")")))
            }),
    };
    reason.map(|r| untrusted::inert(&r))
}

/// `{before}file:line:column{after}` of a diagnostic's primary span, or nothing without one.
pub fn diagnostic_location(diagnostic: &Diagnostic, before: &str, after: &str) -> String {
    let Some(file) = &diagnostic.file else {
        return String::new();
    };
    let mut at = format!("{before}{file}");
    if let Some(line) = diagnostic.line {
        at.push_str(&format!(":{line}"));
        if let Some(column) = diagnostic.column {
            at.push_str(&format!(":{column}"));
        }
    }
    at.push_str(after);
    at
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;
    use crate::course::ExerciseInfo;
    use crate::course::info::Location;
    use crate::seal::MismatchKind;

    fn exercise() -> Exercise {
        Exercise {
            info: ExerciseInfo {
                name: "tally".into(),
                chapter: "01_counting".into(),
                hints: Vec::new(),
                time_limit: Duration::from_secs(2),
                memory_limit: 1 << 30,
                clippy: false,
                defined_at: Location {
                    path: PathBuf::from("info.toml"),
                    line: 1,
                    column: 1,
                },
            },
        }
    }

    fn grade(status: GradeStatus, subject: &str) -> Grade {
        Grade {
            exercise: "tally".into(),
            subject: subject.into(),
            status,
            duration: Duration::ZERO,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            tampered: Vec::new(),
            course_broken: false,
            checks: Vec::new(),
        }
    }

    fn mismatch(file: &str, kind: MismatchKind) -> Mismatch {
        Mismatch {
            file: file.into(),
            path: Path::new("/courses/mine").join(file),
            kind,
            while_checks_ran: false,
        }
    }

    fn text_of(grade: &Grade) -> String {
        console::strip_ansi_codes(&verdict(grade, &exercise())).into_owned()
    }

    #[test]
    fn a_changed_hidden_file_is_restored_by_name_with_a_warning_that_edits_go() {
        let mut grade = grade(GradeStatus::Tampered, "exercises/01_counting/tally.rs");
        grade.tampered = vec![
            mismatch("course/lib.rs", MismatchKind::Modified),
            mismatch("tests/graders/01_counting/new.rs", MismatchKind::Unsealed),
        ];
        let text = text_of(&grade);
        assert!(
            text.contains("hidden files differ from the course's seal"),
            "{text}"
        );
        assert!(text.contains("(this discards any edits to them)"), "{text}");
        // Only the changed file is restored; the unsealed one has nothing to restore.
        assert!(text.contains("checkout -- course/lib.rs\n"), "{text}");
        assert!(text.contains("nothing to restore"), "{text}");
        assert!(!text.contains("grading/"), "{text}");
    }

    #[test]
    fn an_unsealed_file_is_sealed_never_restored() {
        let mut grade = grade(GradeStatus::Unsealed, "exercises/01_counting/tally.rs");
        grade.tampered = vec![mismatch(
            "tests/graders/01_counting/tally.rs",
            MismatchKind::Unsealed,
        )];
        let text = text_of(&grade);
        assert!(text.contains("hidden files are not sealed yet"), "{text}");
        assert!(text.contains("tests/graders/01_counting/tally.rs is not sealed yet"));
        assert!(
            text.contains("dev seal` records them as they are now"),
            "{text}"
        );
        assert!(!text.contains("checkout"), "{text}");
        assert_eq!(
            first_reason(&grade).as_deref(),
            Some("tests/graders/01_counting/tally.rs is not sealed yet")
        );
    }

    #[test]
    fn a_broken_course_is_not_the_learners_fault() {
        let diagnostic = Diagnostic {
            level: "error".into(),
            message: "cannot find value `totl` in this scope".into(),
            code: None,
            file: Some("tests/graders/01_counting/tally.rs".into()),
            line: Some(7),
            column: Some(16),
            rendered: String::new(),
        };
        let mut learner = grade(GradeStatus::CompileError, "exercises/01_counting/tally.rs");
        learner.diagnostics = vec![diagnostic];
        learner.course_broken = true;
        let shown = text_of(&learner);
        assert!(
            shown.contains("The course is broken, not your file"),
            "{shown}"
        );
        assert!(!shown.contains("Your file compiles on its own"), "{shown}");
        assert_eq!(
            first_reason(&learner).as_deref(),
            Some(
                "the hidden tests do not compile, not even with the solution: cannot find value \
                 `totl` in this scope (tests/graders/01_counting/tally.rs:7:16)"
            )
        );
        // The author grading the solution is told what to fix.
        let mut solution = learner.clone();
        solution.subject = "solutions/01_counting/tally.rs".into();
        let shown = text_of(&solution);
        assert!(
            shown.contains("Fix the hidden tests (or the solution)"),
            "{shown}"
        );
        // Not broken: the learner's file is what the hidden tests cannot use.
        let mut theirs = learner.clone();
        theirs.course_broken = false;
        assert!(text_of(&theirs).contains("Your file compiles on its own"));
    }

    #[test]
    fn a_location_has_what_is_known_of_it() {
        let mut diagnostic = Diagnostic {
            level: "warning".into(),
            message: "unused".into(),
            code: None,
            file: Some("solutions/a.rs".into()),
            line: Some(3),
            column: Some(5),
            rendered: String::new(),
        };
        assert_eq!(
            diagnostic_location(&diagnostic, " (", ")"),
            " (solutions/a.rs:3:5)"
        );
        diagnostic.column = None;
        assert_eq!(diagnostic_location(&diagnostic, "", ""), "solutions/a.rs:3");
        diagnostic.file = None;
        assert_eq!(diagnostic_location(&diagnostic, " (", ")"), "");
    }
}
