//! What each file `dev check` grades must do, and why it did not: an exercise as shipped
//! fails, a solution passes clean, a wrong fix is rejected as its `// expect` line says, a
//! right fix passes, a cheat is rejected as its `// expect` line says; and what an exercise
//! lacks of the course standard.

use std::path::PathBuf;

use super::selection::{Part, Scope};
use super::{fixtures, layout};
use crate::course::{Course, Exercise};
use crate::grade::batch::Job;
use crate::grade::{Grade, GradeStatus, Subject};
use crate::render;
use crate::results::Role;
use crate::seal::blob_id;

/// What a graded file is, and what it must do.
pub enum Kind {
    Shipped,
    Solution,
    WrongFix(Result<fixtures::Expectation, String>),
    RightFix(Result<String, String>),
    /// A file that tries to pass without solving the exercise (see `cheats.rs`).
    Cheat(Result<fixtures::Expectation, String>),
}

/// Which claim of `dev check` a graded file bears on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Shipped,
    Solutions,
    WrongFixes,
    RightFixes,
    Cheats,
}

/// A graded file judged against what it must do.
pub struct Judged {
    pub role: Role,
    /// The requirement, as the results document words it (`pass`, `not-pass`, `fail`…).
    pub expected: Option<&'static str>,
    /// Why the requirement was not met.
    pub problem: Option<String>,
    pub claim: Claim,
}

/// Judges `grade` of `job`, a file of kind `kind`.
pub fn judge(course: &Course, job: &Job<'_>, kind: &Kind, grade: &Grade) -> Judged {
    match kind {
        Kind::Shipped => Judged {
            role: Role::Exercise,
            expected: Some("not-pass"),
            problem: shipped_problem(grade),
            claim: Claim::Shipped,
        },
        Kind::Solution => Judged {
            role: Role::Solution,
            expected: Some("pass"),
            problem: must_pass_problem(grade),
            claim: Claim::Solutions,
        },
        Kind::WrongFix(expected) => Judged {
            role: Role::WrongFix,
            expected: expected.as_ref().ok().map(|e| e.status.as_str()),
            problem: rejection_problem(grade, expected),
            claim: Claim::WrongFixes,
        },
        Kind::Cheat(expected) => Judged {
            role: Role::Cheat,
            expected: expected.as_ref().ok().map(|e| e.status.as_str()),
            problem: rejection_problem(grade, expected),
            claim: Claim::Cheats,
        },
        Kind::RightFix(style) => Judged {
            role: Role::RightFix,
            expected: Some("pass"),
            problem: same_as_solution(course, job)
                .or_else(|| style.as_ref().err().cloned())
                .or_else(|| must_pass_problem(grade)),
            claim: Claim::RightFixes,
        },
    }
}

/// Why a fixture that must be rejected (a wrong fix, a cheat) was not rejected as it expects.
fn rejection_problem(
    grade: &Grade,
    expected: &Result<fixtures::Expectation, String>,
) -> Option<String> {
    expected
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|e| fixtures::check(grade, e))
        .err()
}

/// The grades to make for `parts`, and what each graded file must do. Cheats are left out
/// unless `cheats` (without a sandbox, one of them would write to the checkout).
pub fn plan<'a>(course: &Course, parts: &[Part<'a>], cheats: bool) -> (Vec<Job<'a>>, Vec<Kind>) {
    let mut jobs = Vec::new();
    let mut kinds = Vec::new();
    let read = |path: &PathBuf| std::fs::read_to_string(course.path(path)).unwrap_or_default();
    for part in parts {
        let exercise = part.exercise;
        let mut add = |subject: Subject, clippy: bool, kind: Kind| {
            jobs.push(Job {
                exercise,
                subject,
                clippy,
            });
            kinds.push(kind);
        };
        let (wrong, right, cheating) = match &part.scope {
            Scope::Whole => (
                layout::fixtures_of(course, &exercise.wrong_fixes()),
                layout::fixtures_of(course, &exercise.right_fixes()),
                layout::fixtures_of(course, &exercise.cheats()),
            ),
            Scope::WrongFix(path) => (vec![path.clone()], Vec::new(), Vec::new()),
            Scope::RightFix(path) => (Vec::new(), vec![path.clone()], Vec::new()),
            Scope::Cheat(path) => (Vec::new(), Vec::new(), vec![path.clone()]),
            Scope::Shipped | Scope::Solution => (Vec::new(), Vec::new(), Vec::new()),
        };
        if matches!(part.scope, Scope::Whole | Scope::Shipped) {
            add(Subject::Exercise, false, Kind::Shipped);
        }
        if matches!(part.scope, Scope::Whole | Scope::Solution) {
            add(Subject::Solution, true, Kind::Solution);
        }
        for fixture in wrong {
            let expected = fixtures::expectation(&read(&fixture));
            add(Subject::WrongFix(fixture), false, Kind::WrongFix(expected));
        }
        for fixture in right {
            let style = fixtures::right_fix_style(&read(&fixture));
            add(Subject::RightFix(fixture), false, Kind::RightFix(style));
        }
        for fixture in cheating.into_iter().filter(|_| cheats) {
            let expected = fixtures::expectation(&read(&fixture));
            add(Subject::WrongFix(fixture), false, Kind::Cheat(expected));
        }
    }
    (jobs, kinds)
}

/// Why an exercise as shipped does not leave the learner something to fix, if it does not.
fn shipped_problem(grade: &Grade) -> Option<String> {
    if grade.course_broken {
        return Some(format!(
            "fails as shipped only because {}",
            render::first_reason(grade).unwrap_or_default()
        ));
    }
    match grade.status {
        GradeStatus::Pass => Some("passes as shipped: nothing for the learner to fix".into()),
        GradeStatus::Missing => Some("is missing".into()),
        _ => None,
    }
}

/// Why a file that must pass (a solution, a right fix) did not.
fn must_pass_problem(grade: &Grade) -> Option<String> {
    if grade.passed() {
        return None;
    }
    let lints_only = grade.status == GradeStatus::Fail
        && grade.failed_checks().next().is_none()
        && !grade.diagnostics.is_empty();
    if lints_only {
        let lints: Vec<String> = grade
            .diagnostics
            .iter()
            .map(|d| {
                let code = d
                    .code
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default();
                format!(
                    "{}: {code}{}",
                    render::diagnostic_location(d, "", "")
                        .trim_start_matches(':')
                        .to_owned(),
                    d.message
                )
            })
            .collect();
        return Some(lints.join("\n"));
    }
    Some(format!(
        "{}: {}",
        grade.status.as_str(),
        render::first_reason(grade).unwrap_or_default()
    ))
}

/// A right fix identical to the solution shows no other style.
fn same_as_solution(course: &Course, job: &Job<'_>) -> Option<String> {
    let Subject::RightFix(path) = &job.subject else {
        return None;
    };
    let id = |p: PathBuf| std::fs::read(course.path(&p)).ok().map(|b| blob_id(&b));
    let same = id(path.clone()).is_some() && id(path.clone()) == id(job.exercise.solution());
    same.then(|| "is the solution itself: a correct alternative shows another style".to_owned())
}

/// What `exercise` lacks of the course standard: 2 wrong fixes, 1 right fix.
pub fn short_of_standard(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let wrong = layout::fixtures_of(course, &exercise.wrong_fixes()).len();
    if wrong < 2 {
        problems.push(format!(
            "`{}` has {wrong} wrong {} (2 different plausible mistakes belong in {}/)",
            exercise.name(),
            if wrong == 1 { "fix" } else { "fixes" },
            exercise.wrong_fixes().display()
        ));
    }
    if layout::fixtures_of(course, &exercise.right_fixes()).is_empty() {
        problems.push(format!(
            "`{}` has no right fix (a correct alternative in another style belongs in {}/)",
            exercise.name(),
            exercise.right_fixes().display()
        ));
    }
    problems
}
