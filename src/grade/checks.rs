//! Which checks an exercise has. The course knows it, not the learner's binary: `dev seal`
//! lists a build of the trusted grader with the solution and records the names in the seal,
//! and a grade runs exactly those. Learner code never runs to decide what gets run (a
//! constructor before `main` could otherwise hide every failing check from `--list`).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

use super::compile::WorkFiles;
use super::execute::{self, Ending, Job, Limits};
use super::{Control, Grade, GradeJob, GradeStatus, Grader, SealPolicy, libtest};
use crate::course::Exercise;
use crate::seal::SEAL_FILE;

/// How long listing a binary's tests may take.
const LIST_TIME: std::time::Duration = std::time::Duration::from_secs(20);

impl Grader<'_> {
    /// The names of `exercise`'s checks, or why there is no list to trust (which makes the
    /// grade `tampered`).
    pub(super) fn checks_for(
        &self,
        exercise: &Exercise,
        control: &Control,
    ) -> Result<Result<Vec<String>, String>> {
        let grader = exercise.grader().to_string_lossy().into_owned();
        let sealed = self
            .seal
            .as_ref()
            .filter(|_| self.sealed_checks_current)
            .and_then(|seal| seal.checks.get(&grader));
        if let Some(checks) = sealed {
            return Ok(Ok(checks.clone()));
        }
        if self.policy == SealPolicy::Enforce {
            return Ok(Err(format!(
                "{SEAL_FILE} lists no checks for {grader}, so what to run cannot be trusted (sealed by an older asynclings? run `asynclings dev seal`)"
            )));
        }
        // An instructor at work: the hidden tests changed since the seal, so list them from a
        // build with the solution (the instructor's own code), once per exercise.
        if let Some(listed) = self
            .listed
            .lock()
            .expect("no panic holding it")
            .get(&grader)
        {
            return Ok(Ok(listed.clone()));
        }
        let listed = self.list_checks(exercise, control)?;
        self.listed
            .lock()
            .expect("no panic holding it")
            .insert(grader, listed.clone());
        Ok(Ok(listed))
    }

    /// The checks of every exercise, by grader file, as `dev seal` records them.
    pub fn list_all_checks(&self) -> Result<BTreeMap<String, Vec<String>>> {
        let mut all = BTreeMap::new();
        for exercise in &self.course.exercises {
            let checks = self.list_checks(exercise, &Control::default())?;
            all.insert(exercise.grader().to_string_lossy().into_owned(), checks);
        }
        Ok(all)
    }

    /// Builds `exercise`'s solution with its hidden tests and lists the tests, supervised like
    /// a check (time limit, output cap, process group, cancellation).
    pub fn list_checks(&self, exercise: &Exercise, control: &Control) -> Result<Vec<String>> {
        let key = format!("listing-{}", exercise.name());
        let solution = self.course.path(&exercise.solution());
        let work = WorkFiles::new(&self.course.work_dir(), &key);
        let mut grade = Grade::empty(exercise.name(), &exercise.solution().to_string_lossy());
        for dir in [&work.root, &work.rlib, &work.binary, &work.lock]
            .iter()
            .filter_map(|p| p.parent())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let lock = std::fs::File::create(&work.lock)
            .with_context(|| format!("cannot create {}", work.lock.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", work.lock.display()))?;
        let job = GradeJob {
            exercise,
            file: &solution,
            key: &key,
            clippy: false,
            checks: &[],
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
        let dir = super::scratch_dir(&work.scratch, 0)?;
        let spec = self.check_spec(
            &binary,
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
        let checks = libtest::parse_list(&finished.stdout.text());
        if checks.is_empty() {
            bail!(
                "{} has no tests: nothing to grade `{}` with",
                exercise.grader().display(),
                exercise.name()
            );
        }
        Ok(checks)
    }
}
