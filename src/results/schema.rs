//! The machine-readable results document (docs/results.md), version [`SCHEMA_VERSION`].
//!
//! These types are the stable contract with CI scripts and dashboards; they are built from the
//! internal [`Grade`] rather than serializing it, so the grading pipeline can change without
//! breaking anyone's parser. Adding a field is compatible; renaming or removing one, or
//! changing a meaning, bumps the version.

use std::time::Duration;

use serde::Serialize;

use crate::course::Exercise;
use crate::grade::{CheckStatus, Grade, GradeStatus};
use crate::untrusted::inert;

pub const SCHEMA_VERSION: u32 = 1;

/// One run of `verify` or `dev check`.
#[derive(Debug, Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub asynclings_version: &'static str,
    /// `verify`, `verify --solutions` or `dev check`.
    pub command: String,
    /// True exactly when the command exits with status 0.
    pub ok: bool,
    pub duration_ms: u64,
    pub summary: Summary,
    pub results: Vec<Entry>,
    /// Course-wide claims (`dev check` only; empty for `verify`).
    pub findings: Vec<Finding>,
    /// What a `dev check` limited to some exercises or files covered, and what it did not;
    /// null when it checked the whole course (and for `verify`).
    pub selection: Option<Selection>,
}

/// The part of the course a limited `dev check` looked at.
#[derive(Debug, Serialize)]
pub struct Selection {
    /// Exercises checked in full.
    pub exercises: Vec<String>,
    /// Single files checked on their own (a fixture, a solution, an exercise as shipped).
    pub files: Vec<String>,
    /// Claims of a full `dev check` that this one did not check at all.
    pub not_checked: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub total: usize,
    pub ok: usize,
    pub not_ok: usize,
    pub pass: usize,
    pub fail: usize,
    pub compile_error: usize,
    pub timeout: usize,
    pub tampered: usize,
    pub missing: usize,
    pub unsealed: usize,
    pub rejected: usize,
}

/// What a graded file is to its exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The learner's file (for `dev check`: the exercise as shipped).
    Exercise,
    Solution,
    WrongFix,
    /// A correct alternative (`tests/right_fixes/`), which must pass.
    RightFix,
    /// A cheat fixture (`dev check`): a learner's file that tries to pass without solving the
    /// exercise, which the grade must reject with the verdict it expects.
    Cheat,
}

/// One file graded against one exercise's hidden tests.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The exercise's name.
    pub name: String,
    pub chapter: String,
    pub role: Role,
    /// The graded file, relative to the course.
    pub file: String,
    /// pass, fail, compile-error, timeout, tampered, missing, unsealed or rejected.
    pub status: &'static str,
    /// What this command required: `pass`, `not-pass` (an exercise as shipped), or the status a
    /// wrong fix or a cheat declares (`fail`, `compile-error`, `timeout`, `rejected`); null for
    /// a fixture whose `// expect` line is unreadable.
    pub expected: Option<String>,
    /// Whether the requirement was met.
    pub ok: bool,
    /// Why it was not met, in one line; null when `ok`.
    pub message: Option<String>,
    pub duration_ms: u64,
    pub checks: Vec<CheckEntry>,
    pub diagnostics: Vec<DiagnosticEntry>,
    /// Hidden files that differ from the seal (status `tampered` or `unsealed`).
    pub tampered: Vec<String>,
    /// The verdict as `asynclings run` prints it, without colours.
    pub verdict: String,
}

/// One hidden test.
#[derive(Debug, Serialize)]
pub struct CheckEntry {
    pub name: String,
    /// pass, fail, timeout or skipped.
    pub status: &'static str,
    /// The grader's explanation; null for a passing check.
    pub message: Option<String>,
    /// `file:line:col` of the failing panic, relative to the course.
    pub location: Option<String>,
    pub duration_ms: u64,
    /// What the check printed (stdout, then stderr), capped at 64 KiB per stream.
    pub output: String,
}

/// A compiler or clippy message.
#[derive(Debug, Serialize)]
pub struct DiagnosticEntry {
    pub level: String,
    pub message: String,
    pub code: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// rustc's own rendering, without colours.
    pub rendered: String,
}

/// A course-wide claim of `dev check` and what contradicts it.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub claim: String,
    pub ok: bool,
    pub problems: Vec<String>,
    /// `error`: a problem fails the command; `warning`: it is reported, and the command can
    /// still succeed (`dev check --strict` makes every warning an error).
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

impl Entry {
    /// `grade` of a file of `exercise`; `problem` says why the requirement was not met.
    pub fn new(
        exercise: &Exercise,
        grade: &Grade,
        role: Role,
        expected: Option<&str>,
        problem: Option<String>,
    ) -> Self {
        Self {
            name: exercise.name().to_owned(),
            chapter: exercise.chapter().to_owned(),
            role,
            file: grade.subject.clone(),
            status: grade.status.as_str(),
            expected: expected.map(str::to_owned),
            ok: problem.is_none(),
            message: problem.map(|p| inert(&p)),
            duration_ms: millis(grade.duration),
            checks: grade.checks.iter().map(CheckEntry::from).collect(),
            diagnostics: grade
                .diagnostics
                .iter()
                .map(|d| DiagnosticEntry {
                    level: d.level.clone(),
                    message: inert(&d.message),
                    code: d.code.clone(),
                    file: d.file.clone(),
                    line: d.line,
                    column: d.column,
                    rendered: inert(&console::strip_ansi_codes(&d.rendered)),
                })
                .collect(),
            tampered: grade
                .tampered
                .iter()
                .map(|t| inert(&t.to_string()))
                .collect(),
            verdict: plain_verdict(grade, exercise),
        }
    }
}

impl From<&crate::grade::Check> for CheckEntry {
    fn from(check: &crate::grade::Check) -> Self {
        Self {
            name: check.name.clone(),
            status: match check.status {
                CheckStatus::Pass => "pass",
                CheckStatus::Fail => "fail",
                CheckStatus::Timeout => "timeout",
                CheckStatus::Skipped => "skipped",
            },
            message: check.message.as_deref().map(inert),
            location: check.location.as_deref().map(inert),
            duration_ms: millis(check.duration),
            output: inert(&check.output),
        }
    }
}

impl Document {
    pub fn new(
        command: &str,
        duration: Duration,
        results: Vec<Entry>,
        findings: Vec<Finding>,
        selection: Option<Selection>,
    ) -> Self {
        let mut summary = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for entry in &results {
            if entry.ok {
                summary.ok += 1;
            } else {
                summary.not_ok += 1;
            }
            *match entry.status {
                "pass" => &mut summary.pass,
                "fail" => &mut summary.fail,
                "compile-error" => &mut summary.compile_error,
                "timeout" => &mut summary.timeout,
                "tampered" => &mut summary.tampered,
                "unsealed" => &mut summary.unsealed,
                "rejected" => &mut summary.rejected,
                _ => &mut summary.missing,
            } += 1;
        }
        let ok = summary.not_ok == 0
            && findings
                .iter()
                .all(|f| f.ok || f.severity == Severity::Warning);
        Self {
            schema_version: SCHEMA_VERSION,
            asynclings_version: env!("CARGO_PKG_VERSION"),
            command: command.to_owned(),
            ok,
            duration_ms: millis(duration),
            summary,
            results,
            findings,
            selection,
        }
    }
}

/// The learner's verdict without terminal colours (machine output may still go to a
/// terminal, where `console` would colour it). Untrusted text in it is already inert.
fn plain_verdict(grade: &Grade, exercise: &Exercise) -> String {
    let verdict = crate::render::verdict(grade, exercise);
    console::strip_ansi_codes(&verdict).into_owned()
}

/// Not ok, with the first reason `render` gives for it (or the status alone).
pub fn failure_reason(grade: &Grade) -> String {
    crate::render::first_reason(grade).unwrap_or_else(|| grade.status.as_str().to_owned())
}

/// Whether a grade of the learner's file or a solution meets `verify`'s requirement.
pub fn verify_problem(grade: &Grade) -> Option<String> {
    (grade.status != GradeStatus::Pass).then(|| failure_reason(grade))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
