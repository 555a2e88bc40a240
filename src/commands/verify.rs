//! `asynclings verify [--solutions] [--chapter NN_name] [--format F]`: grade every exercise (or
//! every solution, or one chapter's) and sum up, for people or (`--format`) for CI and GitHub
//! Classroom.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;
use console::style;

use super::{Session, announce, progress_bar};
use crate::exit::{self, UsageError};
use crate::grade::batch::{Job, grade_all};
use crate::grade::{Grade, GradeStatus, Grader, SealPolicy, Subject};
use crate::render;
use crate::results::{self, Document, Entry, Role, VerifyOutput};

/// What `verify` grades.
pub struct Options<'a> {
    /// The solutions instead of the exercises.
    pub solutions: bool,
    /// Only these chapters (all when empty).
    pub chapters: &'a [String],
    /// The instructor's course to grade the exercise files against (see `tests_from`).
    pub tests_from: Option<&'a str>,
}

pub fn run(session: &mut Session, options: &Options<'_>, output: &VerifyOutput) -> Result<u8> {
    output.validate()?;
    let trusted = match options.tests_from {
        Some(source) => Some(super::tests_from::load(&session.course.root, source)?),
        None => None,
    };
    let course = trusted.as_ref().unwrap_or(&session.course);
    let (solutions, chapters) = (options.solutions, options.chapters);
    for chapter in chapters {
        if !course.exercises.iter().any(|e| e.chapter() == chapter) {
            let known: BTreeSet<&str> = course.exercises.iter().map(|e| e.chapter()).collect();
            let known: Vec<&str> = known.into_iter().collect();
            return Err(UsageError(format!(
                "no chapter named `{chapter}`; the chapters are {}",
                known.join(", ")
            ))
            .into());
        }
    }
    let started = Instant::now();
    let mut grader = Grader::new(course, SealPolicy::Enforce, &announce)?;
    if trusted.is_some() {
        grader = grader.with_learner_files(session.course.root.clone());
    }
    let subject = if solutions {
        Subject::Solution
    } else {
        Subject::Exercise
    };
    let jobs: Vec<Job<'_>> = course
        .exercises
        .iter()
        .filter(|exercise| chapters.is_empty() || chapters.iter().any(|c| c == exercise.chapter()))
        .map(|exercise| Job {
            exercise,
            subject: subject.clone(),
            clippy: false,
        })
        .collect();
    let what = if solutions { "solutions" } else { "exercises" };
    let bar = progress_bar(jobs.len(), &format!("grading {} {what}", jobs.len()));
    let grades = grade_all(&grader, &jobs, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    results::human(!output.is_human(), &table(&grades, &jobs));
    let passed = grades.iter().filter(|g| g.passed()).count();
    // Graded against another course's tests (a class), the student's progress is not ours to
    // write.
    if !solutions && trusted.is_none() {
        for grade in grades.iter().filter(|g| g.passed()) {
            session.progress.mark_done(&grade.exercise);
        }
        session.progress.save()?;
    }
    let summary = format!("\n{passed} of {} {what} pass.\n", grades.len());
    results::human(!output.is_human(), &summary);
    let entries = jobs
        .iter()
        .zip(&grades)
        .map(|(job, grade)| {
            let role = if solutions {
                Role::Solution
            } else {
                Role::Exercise
            };
            let problem = results::schema::verify_problem(grade);
            Entry::new(job.exercise, grade, role, Some("pass"), problem)
        })
        .collect();
    let command = if solutions {
        "verify --solutions"
    } else {
        "verify"
    };
    let document = Document::new(command, started.elapsed(), entries, Vec::new(), None);
    if let Some(text) = output.render(&document) {
        out!("{text}");
    }
    Ok(if passed == grades.len() {
        exit::SUCCESS
    } else {
        exit::FAILED
    })
}

fn table(grades: &[Grade], jobs: &[Job<'_>]) -> String {
    let mut out = String::new();
    let width = grades.iter().map(|g| g.exercise.len()).max().unwrap_or(0);
    for (grade, job) in grades.iter().zip(jobs) {
        let mark = if grade.passed() {
            render::pass_mark()
        } else {
            render::fail_mark()
        };
        let passed = grade
            .checks
            .iter()
            .filter(|c| c.status == crate::grade::CheckStatus::Pass)
            .count();
        let checks = if grade.checks.is_empty() {
            String::new()
        } else {
            format!("{passed}/{}", grade.checks.len())
        };
        let _ = writeln!(
            out,
            "{mark} {:<width$}  {:<14} {:<14} {:>5}  {:>5.1} s",
            grade.exercise,
            job.exercise.chapter(),
            render::status_word(grade.status),
            checks,
            grade.duration.as_secs_f64(),
        );
    }
    let failures: Vec<&Grade> = grades
        .iter()
        .filter(|g| g.status != GradeStatus::Pass)
        .collect();
    if !failures.is_empty() {
        out.push('\n');
        for grade in failures {
            if let Some(reason) = render::reason_for_people(grade) {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    style(format!("{}:", grade.exercise)).bold(),
                    reason
                );
            }
        }
    }
    out
}
