//! Whose fault is a compile error? One located in the graded file is that file's. One located
//! in a hidden file (the grader, a helper) is the graded file's when the course's own solution
//! compiles with the same hidden tests (say, the learner changed a signature the tests call),
//! and the course's when it does not: then no learner could ever pass, and saying "your file"
//! would send them looking for a mistake that is not theirs.

use std::collections::HashMap;
use std::fs::File;
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};

use super::compile::{self, CompileJob, WorkFiles};
use super::{Control, Grade, GradeStatus, Grader, Subject, crate_root, write_if_changed};
use crate::course::Exercise;
use crate::seal::blob_id;

/// Whether `grade`'s compile error is the course's fault (see the module's comment).
pub(super) fn course_is_broken(
    grader: &Grader<'_>,
    exercise: &Exercise,
    subject: &Subject,
    grade: &Grade,
    control: &Control,
) -> Result<bool> {
    if grade.status != GradeStatus::CompileError {
        return Ok(false);
    }
    let Some(file) = grade.diagnostics.first().and_then(|d| d.file.as_deref()) else {
        return Ok(false);
    };
    if file == grade.subject {
        return Ok(false);
    }
    if matches!(subject, Subject::Solution) {
        // The solution is the course's own file.
        return Ok(true);
    }
    Ok(!solution_compiles(grader, exercise, control)?)
}

/// Whether `exercise`'s solution compiles with its hidden tests. Remembered per content of the
/// two files, so a learner who keeps saving a file with such an error pays for it once.
fn solution_compiles(grader: &Grader<'_>, exercise: &Exercise, control: &Control) -> Result<bool> {
    static KNOWN: OnceLock<Mutex<HashMap<(String, String), bool>>> = OnceLock::new();
    let course = grader.course;
    let (solution, hidden) = (exercise.solution(), exercise.grader());
    let content = |path: &std::path::Path| {
        std::fs::read(course.path(path)).map_or_else(|_| "none".to_owned(), |b| blob_id(&b))
    };
    let key = (
        exercise.name().to_owned(),
        format!("{}:{}", content(&solution), content(&hidden)),
    );
    let known = KNOWN.get_or_init(Default::default);
    if let Some(compiles) = known.lock().expect("not poisoned").get(&key) {
        return Ok(*compiles);
    }
    if !course.path(&solution).is_file() {
        return Ok(false);
    }
    let work = WorkFiles::new(&course.work_dir(), &format!("solution-{}", exercise.name()));
    for dir in [&work.root, &work.binary, &work.lock]
        .iter()
        .filter_map(|p| p.parent())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let lock = File::create(&work.lock)
        .with_context(|| format!("cannot create {}", work.lock.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", work.lock.display()))?;
    write_if_changed(&work.root, &crate_root(course, &solution, &hidden))?;
    let deps = grader.toolchain.lock_for_compile()?;
    let compiled = compile::compile(
        &grader.toolchain,
        &course.root,
        &CompileJob {
            root: &work.root,
            binary: &work.binary,
            incremental: &work.incremental,
            clippy: false,
            clippy_config: None,
        },
        &control.cancel,
    )?;
    drop(deps);
    known
        .lock()
        .expect("not poisoned")
        .insert(key, compiled.success);
    Ok(compiled.success)
}
