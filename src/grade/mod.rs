//! Grading: one file (the learner's exercise, a solution or a fixture) compiled as its own
//! crate, the hidden tests compiled against it, each sealed check run in its own supervised
//! process, the results in a [`Grade`].

pub mod batch;
mod blame;
mod cache;
mod capture;
mod checks;
pub mod compile;
mod evidence;
pub mod execute;
pub mod libtest;
mod panics;
pub mod report;
mod symbols;
pub mod toolchain;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::course::{Course, Exercise};
use crate::seal::{Mismatch, SEAL_FILE, Seal, blob_id, helper_files};
use crate::supervise::Spec;
pub use compile::Incremental;
use compile::{CompileJob, Compiled, CrateKind, WorkFiles};
pub use execute::{Cancel, Cancelled};
use execute::{Job, Limits};
use libtest::CheckRun;
pub use report::{Check, CheckStatus, Diagnostic, Grade, GradeStatus};
use toolchain::{DEPS_LIBRARY, Linking, Toolchain};

/// At most this many checks of one grade run at once; more would only fight over the CPU.
const PARALLEL_CHECKS: usize = 8;
/// The most of libtest's log file that is read (it holds one line).
const LOG_BYTES: u64 = 4096;

/// How a caller follows and steers a grade in flight.
#[derive(Default)]
pub struct Control {
    /// Stops the grade from another thread.
    pub cancel: Cancel,
    /// Told when the grade moves on, for a status line.
    pub on_phase: Option<Box<dyn Fn(Phase) + Send + Sync>>,
    /// One grade of many at once (`verify`, `dev check`): its compilers run at a lower CPU
    /// priority than checks, so they fill the time other grades' checks leave idle without
    /// taking the CPU from a check that measures time.
    pub in_batch: bool,
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
    /// A fixture that must be rejected: a wrong fix or a cheat (course-relative path).
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
    /// Where the learner's exercise files are: the course, or (grading a class against the
    /// instructor's tests) a student's repository.
    learner_root: PathBuf,
    /// Whether the seal's check lists describe the hidden tests as they are now.
    sealed_checks_current: bool,
    /// Check lists taken from a build of the solution, when the seal's cannot be used.
    listed: Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// Whether grades of the learner's own files keep rustc's incremental cache.
    incremental: Incremental,
    cache: cache::GradeCache,
    toolchain_identity: std::sync::OnceLock<String>,
    /// As many compiles at once as there are cores, however many grades are in flight.
    compile_slots: batch::Slots,
    /// One grade's checks more at once than there are cores ([`batch`] says why).
    run_slots: batch::Slots,
}

impl<'a> Grader<'a> {
    /// Prepares the toolchain (building dependencies on first use; `announce` is told) and
    /// reads the seal.
    pub fn new(course: &'a Course, policy: SealPolicy, announce: &dyn Fn(&str)) -> Result<Self> {
        let toolchain = Toolchain::prepare(course, announce)?;
        let seal = Seal::load(course)?;
        let sealed_checks_current = match (&seal, policy) {
            (Some(_), SealPolicy::Enforce) => true,
            (Some(seal), SealPolicy::Ignore) => {
                seal.files_match(&Seal::compute(course, &toolchain))
            }
            (None, _) => false,
        };
        if let Err(reason) = crate::supervise::sandbox_available() {
            announce(&format!(
                "{reason}: checks can write wherever you can (the seal is still verified after each grade)"
            ));
        }
        Ok(Self {
            learner_root: course.root.clone(),
            toolchain,
            seal,
            course,
            policy,
            sealed_checks_current,
            listed: Mutex::default(),
            incremental: Incremental::Off,
            cache: cache::GradeCache::new(&course.work_dir()),
            toolchain_identity: std::sync::OnceLock::new(),
            compile_slots: batch::Slots::new(batch::compile_slots()),
            run_slots: batch::Slots::new(batch::run_slots()),
        })
    }

    /// Keeps rustc's incremental cache between grades of the learner's own files (`watch`,
    /// `run`: the same file, edited and graded again).
    pub fn keep_incremental(mut self) -> Self {
        self.incremental = Incremental::Kept;
        self
    }

    /// Grades the learner's exercise files found under `root` instead of the course's (the
    /// hidden tests, seal and everything else still come from the course).
    pub fn with_learner_files(mut self, root: PathBuf) -> Self {
        self.learner_root = root;
        self
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
        let (file, shown, key) = match subject {
            Subject::Exercise => (
                self.learner_root.join(exercise.file()),
                exercise.file(),
                format!("exercise-{}", exercise.name()),
            ),
            Subject::Solution => (
                self.course.path(&exercise.solution()),
                exercise.solution(),
                format!("solution-{}", exercise.name()),
            ),
            // Keyed by the whole path: a cheat and a wrong fix may share a file name.
            Subject::WrongFix(path) | Subject::RightFix(path) => (
                self.course.path(path),
                path.clone(),
                format!("fixture-{}", path.with_extension("").display()).replace('/', "-"),
            ),
        };
        let clippy = clippy || exercise.info.clippy;
        let key = if clippy { format!("{key}-clippy") } else { key };
        let mut grade = Grade::empty(exercise.name(), &shown.to_string_lossy());
        if !file.is_file() {
            grade.status = GradeStatus::Missing;
        } else if let Some(mismatches) = self.tampered(exercise) {
            grade.status = mismatch_status(&mismatches);
            grade.tampered = mismatches;
        } else {
            let seal_before = self.seal_file_id();
            let job = GradeJob {
                exercise,
                subject,
                file: &file,
                key: &key,
                clippy,
            };
            self.compile_and_run(&job, control, &mut grade)?;
            if !grade.checks.is_empty() {
                self.verify_after_run(exercise, seal_before, &mut grade);
            }
            grade.course_broken =
                blame::course_is_broken(self, exercise, subject, &grade, control)?;
        }
        grade.duration = started.elapsed();
        Ok(grade)
    }

    /// The hidden files of `exercise` that do not match the seal (`None` when all do, or the
    /// seal is not enforced).
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

    fn seal_file_id(&self) -> Option<String> {
        std::fs::read(self.course.root.join(SEAL_FILE))
            .ok()
            .map(|bytes| blob_id(&bytes))
    }

    /// The checks ran learner code: the hidden files and the seal must be as they were. (With
    /// Landlock the checks cannot write them at all; without it, this still catches a check
    /// that rewrote them.)
    fn verify_after_run(
        &self,
        exercise: &Exercise,
        seal_before: Option<String>,
        grade: &mut Grade,
    ) {
        let mut changed = self.tampered(exercise).unwrap_or_default();
        if self.policy == SealPolicy::Enforce && self.seal_file_id() != seal_before {
            changed.push(Mismatch::seal_changed_by_checks(self.course));
        }
        if !changed.is_empty() {
            grade.status = GradeStatus::Tampered;
            for mismatch in &mut changed {
                mismatch.while_checks_ran = true;
            }
            grade.tampered = changed;
        }
    }

    fn compile_and_run(
        &self,
        job: &GradeJob<'_>,
        control: &Control,
        grade: &mut Grade,
    ) -> Result<()> {
        let incremental = match job.subject {
            Subject::Exercise => self.incremental,
            _ => Incremental::Off,
        };
        let work = WorkFiles::new(&self.course.work_dir(), job.key, incremental);
        let _in_use = work.prepare()?;
        control.phase(Phase::Compiling);
        let Some(binary) = self.build(job, &work, control, grade)? else {
            return Ok(());
        };
        // Decided after the compile, so a compile error is reported as such (and blamed on
        // the course when its own solution has it too) even where no check list is known.
        let Some(checks) = self.checks_for(job, &binary, &work, control)? else {
            // Nothing is judged, so nothing of the compile is reported either.
            grade.diagnostics.clear();
            grade.warnings.clear();
            grade.status = GradeStatus::Unsealed;
            grade.tampered = vec![Mismatch::checks_unlisted(
                self.course,
                &job.exercise.grader(),
            )];
            return Ok(());
        };
        control.phase(Phase::Running {
            checks: checks.len(),
        });
        let _slot = self.run_slots.take();
        grade.checks = self.run_checks(job.exercise, &binary, &work, &checks, control)?;
        if grade.checks.is_empty() {
            grade.checks.push(Check {
                name: "grader".into(),
                status: CheckStatus::Fail,
                message: Some(format!(
                    "{} has no tests: nothing to grade with",
                    job.exercise.grader().display()
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

    /// Compiles the graded file as the crate `exercise`, refuses it if it reaches outside its
    /// namespace, then compiles the hidden tests against it; or takes the test binary from the
    /// grade cache when nothing that goes into it changed. The test binary, or `None` when
    /// `grade` already holds the verdict.
    fn build(
        &self,
        job: &GradeJob<'_>,
        work: &WorkFiles,
        control: &Control,
        grade: &mut Grade,
    ) -> Result<Option<PathBuf>> {
        let clippy_config = self.course.clippy_config(job.exercise);
        let relative_to = self.relative_roots();
        write_if_changed(
            &work.root,
            &crate_root(
                &job.exercise.grader(),
                &self.course.path(&job.exercise.grader()),
                &self.toolchain.linking,
            ),
        )?;
        let exercise_crate = CompileJob {
            kind: CrateKind::Exercise,
            root: job.file,
            output: &work.rlib,
            dep_info: &work.rlib_sources,
            incremental: work.incremental.as_deref(),
            extra_externs: Vec::new(),
            clippy: job.clippy,
            clippy_config: clippy_config.as_deref().and_then(Path::parent),
            relative_to: relative_to.clone(),
        };
        let tests_crate = CompileJob {
            kind: CrateKind::Tests,
            root: &work.root,
            output: &work.binary,
            dep_info: &work.binary_sources,
            incremental: work.incremental.as_deref(),
            extra_externs: vec![(symbols::CRATE, &work.rlib)],
            clippy: false,
            clippy_config: None,
            relative_to,
        };
        let key = self.cache_key(
            job,
            [&exercise_crate, &tests_crate],
            clippy_config.as_deref(),
        );
        if let Some(warnings) = self.cache.lookup(&key, &work.binary, &self.course.root) {
            take_warnings(job, warnings, grade);
            return Ok(Some(work.binary.clone()));
        }
        let _slot = self.compile_slots.take();
        let _deps = self.toolchain.lock_for_compile()?;
        let compiled =
            compile::compile(&self.toolchain, &self.course.root, &exercise_crate, control)?;
        let warnings = match compiled {
            Compiled::Built { warnings } => warnings,
            Compiled::Failed { errors, warnings } => {
                grade.warnings = about_subject(warnings, grade);
                grade.status = GradeStatus::CompileError;
                grade.diagnostics = errors;
                return Ok(None);
            }
            refused => return Ok(compile_failure(refused, grade)),
        };
        take_warnings(job, warnings.clone(), grade);
        let problems = symbols::problems_in(&work.rlib)?;
        if !problems.is_empty() {
            grade.status = GradeStatus::Rejected;
            grade.diagnostics = problems
                .into_iter()
                .map(|message| Diagnostic::located(&grade.subject, message))
                .collect();
            return Ok(None);
        }
        let compiled = compile::compile(&self.toolchain, &self.course.root, &tests_crate, control)?;
        match compiled {
            Compiled::Built { .. } => {
                // A cache that cannot be written (a full disk) only costs the next grade time.
                let _ = self.cache.insert_in_background(cache::NewEntry {
                    key: &key,
                    binary: &work.binary,
                    dep_info: &[&work.rlib_sources, &work.binary_sources],
                    course_root: &self.course.root,
                    warnings: &warnings,
                    fixture: matches!(job.subject, Subject::WrongFix(_) | Subject::RightFix(_)),
                });
                Ok(Some(work.binary.clone()))
            }
            refused => Ok(compile_failure(refused, grade)),
        }
    }

    /// The grade cache's key of a build: the compilers' command lines (without the incremental
    /// cache, which changes no output), the graded file, generated root, grader and clippy
    /// configuration by content, and the toolchain with the helpers' sources.
    fn cache_key(
        &self,
        job: &GradeJob<'_>,
        crates: [&CompileJob<'_>; 2],
        clippy_config: Option<&Path>,
    ) -> String {
        let mut key = cache::KeyBuilder::default();
        for compile_job in crates {
            let without_incremental = CompileJob {
                incremental: None,
                ..compile_job.clone()
            };
            let command =
                compile::command(&self.toolchain, &self.course.root, &without_incremental);
            key.part(format!("{command:?}").as_bytes());
            key.file(compile_job.root);
        }
        key.file(job.file)
            .file(&self.course.path(&job.exercise.grader()));
        if let Some(config) = clippy_config {
            key.file(config);
        }
        key.part(self.toolchain_identity().as_bytes());
        key.finish()
    }

    /// The toolchain as recorded, and the content of every file of the course's local packages
    /// (the grading helpers) and of what the toolchain watches (Cargo.lock…); computed once.
    fn toolchain_identity(&self) -> &str {
        self.toolchain_identity.get_or_init(|| {
            let mut key = cache::KeyBuilder::default();
            key.part(&serde_json::to_vec(&self.toolchain).unwrap_or_default());
            let mut files = Vec::new();
            for folder in &self.toolchain.local_sources {
                toolchain::collect_files(folder, &mut files);
            }
            files.sort();
            for file in &files {
                key.part(file.as_os_str().as_encoded_bytes()).file(file);
            }
            key.finish()
        })
    }

    fn relative_roots(&self) -> Vec<&Path> {
        let mut roots = vec![self.course.root.as_path()];
        if self.learner_root != self.course.root {
            roots.push(&self.learner_root);
        }
        roots
    }

    /// Runs each of `checks` in `binary`, each under its own supervisor.
    fn run_checks(
        &self,
        exercise: &Exercise,
        binary: &Path,
        work: &WorkFiles,
        checks: &[String],
        control: &Control,
    ) -> Result<Vec<Check>> {
        let info = &exercise.info;
        let mut logs = Vec::new();
        let mut jobs = Vec::new();
        for (index, name) in checks.iter().enumerate() {
            let dir = scratch_dir(&work.scratch, index)?;
            let log = dir.join(format!(".libtest-{}.log", random_hex()?));
            jobs.push(Job::Supervised(self.check_spec(
                binary,
                libtest::args_for(name, &log),
                &dir,
                info.memory_limit,
            )));
            logs.push(log);
        }
        let finished = execute::run_all(
            jobs,
            Limits::with_time(info.time_limit),
            PARALLEL_CHECKS,
            &control.cancel,
        )?;
        checks
            .iter()
            .zip(&finished)
            .zip(&logs)
            .map(|((name, finished), log)| {
                let run = CheckRun {
                    name,
                    sealed: checks.len(),
                    time_limit: info.time_limit,
                    memory_limit: info.memory_limit,
                    log: read_log(log),
                };
                libtest::interpret(&run, finished)
            })
            .collect()
    }

    /// A supervised run of `binary` in `dir`, which (with the system temp folder, unless the
    /// course lives there) is all it may write.
    fn check_spec(&self, binary: &Path, args: Vec<String>, dir: &Path, memory: u64) -> Spec {
        let mut writable = vec![dir.to_owned()];
        writable.extend(["/dev/null", "/dev/zero", "/dev/full", "/dev/shm"].map(PathBuf::from));
        let temp = std::env::temp_dir();
        if !self.course.root.starts_with(&temp) && !self.learner_root.starts_with(&temp) {
            writable.push(temp);
        }
        Spec {
            program: binary.to_owned(),
            args,
            dir: dir.to_owned(),
            env: vec![
                ("RUST_BACKTRACE".into(), backtrace_setting()),
                ("TMPDIR".into(), dir.display().to_string()),
            ],
            writable,
            memory_limit: memory,
            address_space: address_space_for(memory),
        }
    }
}

/// One grade's inputs.
struct GradeJob<'a> {
    exercise: &'a Exercise,
    subject: &'a Subject,
    /// The graded file (absolute).
    file: &'a Path,
    /// Names the grade's work files.
    key: &'a str,
    clippy: bool,
}

/// `tampered` when a sealed file was changed or deleted, else `unsealed` (only new files, or
/// what the seal does not list yet).
fn mismatch_status(mismatches: &[Mismatch]) -> GradeStatus {
    if mismatches.iter().any(Mismatch::is_tampering) {
        GradeStatus::Tampered
    } else {
        GradeStatus::Unsealed
    }
}

/// The exercise crate's warnings about the graded file: with enforced lints they fail the
/// grade; otherwise they are the learner's to read.
fn take_warnings(job: &GradeJob<'_>, warnings: Vec<Diagnostic>, grade: &mut Grade) {
    let warnings = about_subject(warnings, grade);
    if job.clippy {
        grade.diagnostics = warnings;
    } else {
        grade.warnings = warnings;
    }
}

fn about_subject(warnings: Vec<Diagnostic>, grade: &Grade) -> Vec<Diagnostic> {
    warnings
        .into_iter()
        .filter(|w| w.file.as_deref() == Some(&*grade.subject))
        .collect()
}

/// Records a compilation that produced nothing in `grade`; `None` (no binary).
fn compile_failure(compiled: Compiled, grade: &mut Grade) -> Option<PathBuf> {
    grade.status = GradeStatus::CompileError;
    grade.diagnostics = match compiled {
        Compiled::Failed { errors, .. } => errors,
        Compiled::TimedOut { limit, evaluating } => vec![Diagnostic::located(
            &grade.subject,
            compile::timeout_message(limit, evaluating.as_deref()),
        )],
        Compiled::Built { .. } => unreachable!("a built crate is no failure"),
    };
    None
}

/// The address-space limit of each process of a check: far above what it may use (thread
/// stacks and glibc's malloc arenas, 64 MiB each and up to 8 per core, reserve address space
/// they never touch), low enough that an allocation of tens of gigabytes fails at once instead
/// of racing the memory sampler.
fn address_space_for(memory: u64) -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    memory
        .saturating_mul(4)
        .saturating_add(4 << 30)
        .saturating_add(cores.saturating_mul(512 << 20))
}

/// A fresh, empty working folder for check `index`.
fn scratch_dir(scratch: &Path, index: usize) -> Result<PathBuf> {
    let dir = scratch.join(index.to_string());
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot empty {}", dir.display()));
        }
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// 128 random bits in hex: a log file name the test cannot have guessed in advance.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom fills the buffer it is given.
    let filled = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if filled != bytes.len() as isize {
        return Err(std::io::Error::last_os_error()).context("cannot get random bytes");
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn read_log(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    File::open(path)
        .ok()?
        .take(LOG_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Backtraces are noise for learners; `ASYNCLINGS_BACKTRACE=1` brings them back.
fn backtrace_setting() -> String {
    std::env::var("ASYNCLINGS_BACKTRACE").unwrap_or_else(|_| "0".into())
}

/// The generated crate root: the hidden tests as `grader`, the graded crate re-exported as
/// `crate::exercise` (so a grader writes `use crate::exercise::Thing`).
/// With dynamic linking, the root also names the dependencies' shared library, which is what
/// makes rustc link them from it.
fn crate_root(grader: &Path, grader_path: &Path, linking: &Linking) -> String {
    let library = match linking {
        Linking::Dynamic { .. } => format!("extern crate {DEPS_LIBRARY} as _;\n"),
        Linking::Static { .. } => String::new(),
    };
    format!(
        "// Generated by asynclings: {grader} against the graded file, compiled on its own as the crate `{crate_name}`.\n\
         pub use ::{crate_name};\n{library}#[path = {grader_path:?}]\nmod grader;\n",
        grader = grader.display(),
        crate_name = symbols::CRATE,
    )
}

/// Keeps the file's timestamp when nothing changed, so nothing downstream sees a change.
fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_links_the_exercise_and_includes_only_the_grader() {
        let root = crate_root(
            Path::new("tests/graders/00_intro/a.rs"),
            Path::new("/course/tests/graders/00_intro/a.rs"),
            &Linking::Static {
                reason: String::new(),
            },
        );
        assert!(root.contains("pub use ::exercise;\n"));
        assert!(root.ends_with("#[path = \"/course/tests/graders/00_intro/a.rs\"]\nmod grader;\n"));
        assert!(!root.contains("mod exercise"));
    }

    #[test]
    fn the_address_space_backstop_is_far_above_the_memory_limit() {
        let cores = std::thread::available_parallelism().unwrap().get() as u64;
        assert_eq!(address_space_for(1 << 30), (8 << 30) + cores * (512 << 20));
        assert_eq!(address_space_for(u64::MAX), u64::MAX);
        assert_eq!(random_hex().unwrap().len(), 32);
    }
}
