//! Whose fault is a compile error? One located in the graded file is that file's. One located
//! in a hidden file (the grader, a helper) is the graded file's when the course's own solution
//! compiles with the same hidden tests (say, the learner changed a signature the tests call,
//! or made private an item they use), and the course's when it does not: then no learner
//! could ever pass, and saying "your file" would send them looking for a mistake that is not
//! theirs.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use anyhow::Result;

use super::compile::{Incremental, WorkFiles};
use super::{Control, Grade, GradeJob, GradeStatus, Grader, Subject};
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

/// Whether `exercise`'s solution compiles (as its own crate, then the hidden tests against
/// it). Remembered per content of the two files, so a learner who keeps saving a file with
/// such an error pays for it once.
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
    let file = course.path(&solution);
    if !file.is_file() {
        return Ok(false);
    }
    let work_key = format!("solution-{}", exercise.name());
    let work = WorkFiles::new(&course.work_dir(), &work_key, Incremental::Off);
    let _in_use = work.prepare()?;
    let job = GradeJob {
        exercise,
        subject: &Subject::Solution,
        file: &file,
        key: &work_key,
        clippy: false,
    };
    let mut scratch = Grade::empty(exercise.name(), &solution.to_string_lossy());
    let compiles = grader.build(&job, &work, control, &mut scratch)?.is_some();
    known.lock().expect("not poisoned").insert(key, compiles);
    Ok(compiles)
}
