//! Which checks an exercise has. The course knows it, not the learner's binary: `dev seal`
//! lists a build of the trusted grader with the solution and records the names in the seal,
//! and a grade runs exactly those. Learner code never runs to decide what gets run (a
//! constructor before `main` could otherwise hide every failing check from `--list`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};

use super::compile::{Incremental, WorkFiles};
use super::execute::{self, Ending, Job, Limits};
use super::{
    Cancelled, Control, Grade, GradeJob, GradeStatus, Grader, SealPolicy, Subject, libtest,
};
use crate::course::Exercise;

/// What `dev seal` records of the course's checks.
#[derive(Debug, Default)]
pub struct CheckLists {
    /// Course-relative grader path → test names in its test binary.
    pub listed: BTreeMap<String, Vec<String>>,
    /// Why an exercise's checks could not be listed (its solution does not build...).
    pub unlisted: Vec<String>,
}

/// How long listing a binary's tests may take.
const LIST_TIME: std::time::Duration = std::time::Duration::from_secs(20);

impl Grader<'_> {
    /// The names of the checks to run for `job`, whose test binary is `binary`; `None` when
    /// the seal lists none for the exercise and the seal is enforced (the grade is then
    /// `unsealed`: what to run cannot be trusted).
    pub(super) fn checks_for(
        &self,
        job: &GradeJob<'_>,
        binary: &Path,
        work: &WorkFiles,
        control: &Control,
    ) -> Result<Option<Vec<String>>> {
        let exercise = job.exercise;
        let grader = exercise.grader().to_string_lossy().into_owned();
        let sealed = self
            .seal
            .as_ref()
            .filter(|_| self.sealed_checks_current)
            .and_then(|seal| seal.checks.get(&grader));
        if let Some(checks) = sealed {
            return Ok(Some(checks.clone()));
        }
        if self.policy == SealPolicy::Enforce {
            return Ok(None);
        }
        // An instructor at work: the hidden tests changed since the seal, so list them from a
        // build with the solution (the instructor's own code), once per exercise.
        let remembered = self
            .listed
            .lock()
            .expect("no panic holding it")
            .get(&grader)
            .cloned();
        if let Some(listed) = remembered {
            return Ok(Some(listed));
        }
        let listed = if matches!(job.subject, Subject::Solution) {
            // The binary at hand is that build.
            self.list_binary(exercise, binary, work, control)?
        } else {
            match self.list_checks(exercise, control) {
                Ok(listed) => listed,
                Err(error) if error.is::<Cancelled>() => return Err(error),
                // The solution does not build (its own grade says why): the file at hand is
                // the instructor's too, so its binary's list will do, for this grade only.
                Err(_) => return self.list_binary(exercise, binary, work, control).map(Some),
            }
        };
        self.listed
            .lock()
            .expect("no panic holding it")
            .insert(grader, listed.clone());
        Ok(Some(listed))
    }

    /// The checks of every exercise whose solution builds with its hidden tests, as `dev seal`
    /// records them; and why the others have no list.
    pub fn list_all_checks(&self) -> Result<CheckLists> {
        let mut all = CheckLists::default();
        for exercise in &self.course.exercises {
            match self.list_checks(exercise, &Control::default()) {
                Ok(checks) => {
                    let grader = exercise.grader().to_string_lossy().into_owned();
                    all.listed.insert(grader, checks);
                }
                Err(error) if error.is::<Cancelled>() => return Err(error),
                Err(error) => all.unlisted.push(format!("{error:#}")),
            }
        }
        Ok(all)
    }

    /// Builds `exercise`'s solution with its hidden tests and lists the tests, supervised like
    /// a check (time limit, output cap, process group, cancellation).
    pub fn list_checks(&self, exercise: &Exercise, control: &Control) -> Result<Vec<String>> {
        let key = format!("listing-{}", exercise.name());
        let solution = self.course.path(&exercise.solution());
        if !solution.is_file() {
            bail!(
                "cannot list the checks of `{}`: {} is missing",
                exercise.name(),
                exercise.solution().display()
            );
        }
        let work = WorkFiles::new(&self.course.work_dir(), &key, Incremental::Off);
        let mut grade = Grade::empty(exercise.name(), &exercise.solution().to_string_lossy());
        let _in_use = work.prepare()?;
        let job = GradeJob {
            exercise,
            subject: &Subject::Solution,
            file: &solution,
            key: &key,
            clippy: false,
        };
        let Some(binary) = self.build(&job, &work, control, &mut grade)? else {
            bail!(
                "cannot list the checks of `{}`: {} {} with its hidden tests ({})",
                exercise.name(),
                exercise.solution().display(),
                if grade.status == GradeStatus::Rejected {
                    "is refused"
                } else {
                    "does not compile"
                },
                crate::render::first_reason(&grade).unwrap_or_default()
            );
        };
        self.list_binary(exercise, &binary, &work, control)
    }

    /// The tests in `exercise`'s test binary at `binary`, listed under supervision (possibly
    /// none).
    fn list_binary(
        &self,
        exercise: &Exercise,
        binary: &Path,
        work: &WorkFiles,
        control: &Control,
    ) -> Result<Vec<String>> {
        let dir = super::scratch_dir(&work.scratch, 0)?;
        let spec = self.check_spec(
            binary,
            libtest::list_args(),
            &dir,
            exercise.info.memory_limit,
        );
        let finished = execute::run_all(
            vec![Job::Supervised(spec)],
            Limits::with_time(LIST_TIME),
            1,
            &control.cancel,
        )?
        .remove(0);
        if finished.ending != Ending::Exited(0) || finished.stdout.dropped > 0 {
            bail!(
                "cannot list the checks of `{}`: the test binary ended with {:?}: {}",
                exercise.name(),
                finished.ending,
                finished.stderr.text().trim()
            );
        }
        // None at all is the grade's to report (a failing check), not an error here.
        Ok(libtest::parse_list(&finished.stdout.text()))
    }
}
