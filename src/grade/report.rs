//! The structured result of a grade: what the CLI renders and what JSON/JUnit serialize.

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::seal::Mismatch;

/// How a grade ended, worst first when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GradeStatus {
    Pass,
    Fail,
    CompileError,
    Timeout,
    /// A hidden test or grading helper differs from the sealed copy; nothing was run.
    Tampered,
    /// A hidden file is not in the seal yet (written since the last `dev seal`, or the course
    /// has no seal); nothing was run.
    Unsealed,
    /// The file to grade does not exist.
    Missing,
    /// The graded file was refused before anything ran: its compiled code defines symbols
    /// outside its own crate (`#[no_mangle]`, `#[export_name]`, `global_asm!`) or code that
    /// runs before or after `main`.
    Rejected,
}

impl GradeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::CompileError => "compile-error",
            Self::Timeout => "timeout",
            Self::Tampered => "tampered",
            Self::Unsealed => "unsealed",
            Self::Missing => "missing",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Pass,
    Fail,
    Timeout,
    /// Marked `#[ignore]` by the grader's author.
    Skipped,
}

/// One hidden test's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    /// The grader's explanation (its panic message), or why the check was stopped.
    pub message: Option<String>,
    /// Where the failing panic happened (`file:line:col`, relative to the course).
    pub location: Option<String>,
    /// What the check printed (stdout, then stderr), capped.
    pub output: String,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// A compiler or clippy message.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub level: String,
    pub message: String,
    pub code: Option<String>,
    /// The primary span's file, relative to the course.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// rustc's own rendering, with ANSI colours.
    #[serde(skip)]
    pub rendered: String,
}

impl Diagnostic {
    /// An error of asynclings' own about `file` (no line: it concerns the whole file).
    pub fn located(file: &str, message: String) -> Self {
        Self {
            level: "error".into(),
            message,
            code: None,
            file: Some(file.to_owned()),
            line: None,
            column: None,
            rendered: String::new(),
        }
    }

    /// rustc's rendering without colours, or the message when there is none.
    pub fn plain(&self) -> String {
        if self.rendered.is_empty() {
            format!("{}: {}", self.level, self.message)
        } else {
            console::strip_ansi_codes(&self.rendered).into_owned()
        }
    }
}

/// The result of grading one file against one exercise's hidden tests.
#[derive(Debug, Clone, Serialize)]
pub struct Grade {
    pub exercise: String,
    /// The graded file, relative to the course.
    pub subject: String,
    pub status: GradeStatus,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
    /// Compile errors (for `compile-error`) or enforced lint findings (which fail the grade).
    pub diagnostics: Vec<Diagnostic>,
    /// The compiler's warnings about the graded file (not enforced; shown with a failing grade).
    pub warnings: Vec<Diagnostic>,
    /// Hidden files that differ from the seal (for `tampered` and `unsealed`).
    #[serde(serialize_with = "as_strings")]
    pub tampered: Vec<Mismatch>,
    /// For `compile-error`: the error is in a hidden file, and the course's own solution does
    /// not compile with the hidden tests either. The course is broken, not the graded file.
    pub course_broken: bool,
    pub checks: Vec<Check>,
}

impl Grade {
    /// A grade of `subject` that has not happened yet.
    pub fn empty(exercise: &str, subject: &str) -> Self {
        Self {
            exercise: exercise.to_owned(),
            subject: subject.to_owned(),
            status: GradeStatus::Pass,
            duration: Duration::ZERO,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            tampered: Vec::new(),
            course_broken: false,
            checks: Vec::new(),
        }
    }

    pub fn passed(&self) -> bool {
        self.status == GradeStatus::Pass
    }

    /// Whether the grade says anything about the graded file. It does not when the hidden
    /// files could not be trusted (`tampered`, `unsealed`: nothing ran) or the course itself is
    /// broken (its hidden tests do not compile even with the solution); then progress keeps
    /// what it knew, and no hint is offered for a mistake that is not the learner's.
    pub fn judges_the_file(&self) -> bool {
        !matches!(self.status, GradeStatus::Tampered | GradeStatus::Unsealed) && !self.course_broken
    }

    /// Whether the learner's code is what failed (a check, the time limit, the compiler), so
    /// a hint can help; not for a missing file or a grade that judged nothing.
    pub fn failed_on_the_code(&self) -> bool {
        self.judges_the_file()
            && matches!(
                self.status,
                GradeStatus::Fail | GradeStatus::Timeout | GradeStatus::CompileError
            )
    }

    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Timeout))
    }

    /// Every message of the grade in one string, for matching what a fixture expects.
    pub fn explanation(&self) -> String {
        let mut text = Vec::new();
        text.extend(self.diagnostics.iter().map(Diagnostic::plain));
        text.extend(self.checks.iter().filter_map(|c| c.message.clone()));
        text.extend(self.tampered.iter().map(ToString::to_string));
        text.join("\n")
    }
}

fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn as_strings<S: Serializer>(items: &[Mismatch], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(ToString::to_string))
}
