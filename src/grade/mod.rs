//! Grading: one file (the learner's exercise, a solution or a wrong-fix fixture) compiled with
//! an exercise's hidden tests, each test run in its own process, the results in a [`Grade`].

pub mod batch;
mod blame;
pub mod compile;
pub mod execute;
pub mod libtest;
pub mod report;
pub mod toolchain;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::course::{Course, Exercise};
use crate::seal::{Mismatch, Seal, helper_files};
use compile::{CompileJob, WorkFiles};
use execute::Limits;
pub use execute::{Cancel, Cancelled};
pub use report::{Check, CheckStatus, Diagnostic, Grade, GradeStatus};
use toolchain::Toolchain;

/// At most this many checks of one grade run at once; more would only fight over the CPU.
const PARALLEL_CHECKS: usize = 8;

/// How a caller follows and steers a grade in flight.
#[derive(Default)]
pub struct Control {
    /// Stops the grade from another thread.
    pub cancel: Cancel,
    /// Told when the grade moves on, for a status line.
    pub on_phase: Option<Box<dyn Fn(Phase) + Send + Sync>>,
}

impl Control {
    fn phase(&self, phase: Phase) {
        if let Some(on_phase) = &self.on_phase {
            on_phase(phase);
        }
    }
}

/// Where a grade is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Compiling,
    Running { checks: usize },
}

/// What is being graded against an exercise's hidden tests.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The learner's file.
    Exercise,
    Solution,
    /// A wrong-fix fixture (course-relative path).
    WrongFix(PathBuf),
    /// A right fix, a correct alternative (course-relative path).
    RightFix(PathBuf),
}

/// Whether hidden files are compared with the seal before grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealPolicy {
    /// Learners: a modified hidden test makes the grade `tampered`.
    Enforce,
    /// Instructors at work on the hidden tests (`dev check` reports a stale seal on its own).
    Ignore,
}

pub struct Grader<'a> {
    course: &'a Course,
    toolchain: Toolchain,
    seal: Option<Seal>,
    policy: SealPolicy,
}

impl<'a> Grader<'a> {
    /// Prepares the toolchain (building dependencies on first use; `announce` is told) and
    /// reads the seal.
    pub fn new(course: &'a Course, policy: SealPolicy, announce: &dyn Fn(&str)) -> Result<Self> {
        Ok(Self {
            toolchain: Toolchain::prepare(course, announce)?,
            seal: Seal::load(course)?,
            course,
            policy,
        })
    }

    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// Grades `subject` with `exercise`'s hidden tests. `clippy` forces lint enforcement (for
    /// solutions in `dev check`); otherwise the exercise's setting decides.
    /// `control.cancel` stops the grade from another thread (its processes are killed and the
    /// result is an error that downcasts to [`Cancelled`]).
    pub fn grade(
        &self,
        exercise: &Exercise,
        subject: &Subject,
        clippy: bool,
        control: &Control,
    ) -> Result<Grade> {
        let started = Instant::now();
        let (file, key) = match subject {
            Subject::Exercise => (exercise.file(), format!("exercise-{}", exercise.name())),
            Subject::Solution => (exercise.solution(), format!("solution-{}", exercise.name())),
            Subject::WrongFix(path) | Subject::RightFix(path) => {
                let stem = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                let kind = match subject {
                    Subject::RightFix(_) => "right-fix",
                    _ => "fixture",
                };
                (path.clone(), format!("{kind}-{}-{stem}", exercise.name()))
            }
        };
        let clippy = clippy || exercise.info.clippy;
        let key = if clippy { format!("{key}-clippy") } else { key };
        let mut grade = Grade {
            exercise: exercise.name().to_owned(),
            subject: file.to_string_lossy().into_owned(),
            status: GradeStatus::Pass,
            duration: Default::default(),
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            tampered: Vec::new(),
            course_broken: false,
            checks: Vec::new(),
        };
        if !self.course.path(&file).is_file() {
            grade.status = GradeStatus::Missing;
        } else if let Some(tampered) = self.tampered(exercise) {
            grade.status = if tampered.iter().any(Mismatch::is_tampering) {
                GradeStatus::Tampered
            } else {
                GradeStatus::Unsealed
            };
            grade.tampered = tampered;
        } else {
            self.compile_and_run(exercise, &file, &key, clippy, control, &mut grade)?;
            grade.course_broken =
                blame::course_is_broken(self, exercise, subject, &grade, control)?;
        }
        grade.duration = started.elapsed();
        Ok(grade)
    }

    fn tampered(&self, exercise: &Exercise) -> Option<Vec<Mismatch>> {
        if self.policy == SealPolicy::Ignore {
            return None;
        }
        let Some(seal) = &self.seal else {
            return Some(vec![Mismatch::no_seal(self.course)]);
        };
        let mut files = vec![self.course.path(&exercise.grader())];
        files.extend(self.course.clippy_config(exercise));
        files.extend(helper_files(self.course, &self.toolchain));
        let tampered = seal.mismatches(self.course, &files);
        (!tampered.is_empty()).then_some(tampered)
    }

    fn compile_and_run(
        &self,
        exercise: &Exercise,
        file: &Path,
        key: &str,
        clippy: bool,
        control: &Control,
        grade: &mut Grade,
    ) -> Result<()> {
        let work = WorkFiles::new(&self.course.work_dir(), key);
        for dir in [&work.root, &work.binary, &work.lock]
            .iter()
            .filter_map(|p| p.parent())
            .chain([work.scratch.as_path()])
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Two asynclings processes (watch, and run in another terminal) must not share a binary.
        let lock = File::create(&work.lock)
            .with_context(|| format!("cannot create {}", work.lock.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", work.lock.display()))?;

        write_if_changed(
            &work.root,
            &crate_root(self.course, file, &exercise.grader()),
        )?;
        control.phase(Phase::Compiling);
        let deps = self.toolchain.lock_for_compile()?;
        let compiled = compile::compile(
            &self.toolchain,
            &self.course.root,
            &CompileJob {
                root: &work.root,
                binary: &work.binary,
                incremental: &work.incremental,
                clippy,
                clippy_config: self
                    .course
                    .clippy_config(exercise)
                    .as_deref()
                    .and_then(Path::parent),
            },
            &control.cancel,
        )?;
        drop(deps);
        let subject = file.to_string_lossy();
        let about_subject: Vec<_> = compiled
            .warnings
            .into_iter()
            .filter(|w| w.file.as_deref() == Some(&*subject))
            .collect();
        // Enforced lints fail the grade; otherwise the warnings are the learner's to read.
        if clippy && compiled.success {
            grade.diagnostics = about_subject;
        } else {
            grade.warnings = about_subject;
        }
        if !compiled.success {
            grade.status = GradeStatus::CompileError;
            grade.diagnostics = compiled.errors;
            return Ok(());
        }

        let tests = libtest::list(&work.binary)?;
        let commands = tests
            .iter()
            .map(|test| {
                let mut command = libtest::command_for(&work.binary, test);
                command
                    .current_dir(&work.scratch)
                    .env("RUST_BACKTRACE", backtrace_setting());
                command
            })
            .collect();
        let limits = Limits::with_time(exercise.info.time_limit);
        control.phase(Phase::Running {
            checks: tests.len(),
        });
        let finished = execute::run_all(commands, limits, PARALLEL_CHECKS, &control.cancel)?;
        grade.checks = tests
            .iter()
            .zip(&finished)
            .map(|(test, run)| libtest::interpret(test, run, exercise.info.time_limit))
            .collect();
        if grade.checks.is_empty() {
            grade.checks.push(Check {
                name: "grader".into(),
                status: CheckStatus::Fail,
                message: Some(format!(
                    "{} has no tests: nothing to grade with",
                    exercise.grader().display()
                )),
                location: None,
                output: String::new(),
                duration: Default::default(),
            });
        }
        grade.status = if grade
            .checks
            .iter()
            .any(|c| c.status == CheckStatus::Timeout)
        {
            GradeStatus::Timeout
        } else if grade.checks.iter().any(|c| c.status == CheckStatus::Fail)
            || !grade.diagnostics.is_empty()
        {
            GradeStatus::Fail
        } else {
            GradeStatus::Pass
        };
        Ok(())
    }
}

/// Backtraces are noise for learners; `ASYNCLINGS_BACKTRACE=1` brings them back.
fn backtrace_setting() -> String {
    std::env::var("ASYNCLINGS_BACKTRACE").unwrap_or_else(|_| "0".into())
}

/// The generated crate root: the subject as `crate::exercise`, the hidden tests as `grader`.
fn crate_root(course: &Course, subject: &Path, grader: &Path) -> String {
    format!(
        "// Generated by asynclings: {subject} graded by {grader}.\n\
         #[allow(dead_code)]\n#[path = {subject_path:?}]\npub mod exercise;\n\
         #[path = {grader_path:?}]\nmod grader;\n",
        subject = subject.display(),
        grader = grader.display(),
        subject_path = course.path(subject),
        grader_path = course.path(grader),
    )
}

/// Keeps the file's timestamp when nothing changed, so nothing downstream sees a change.
fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
