//! Cheat fixtures (`tests/cheats/NN_chapter/EXERCISE/KIND.rs`): complete learner files that try
//! to pass an exercise without solving it (an early `exit`, a constructor before `main`, a
//! write to the checkout, a symbol that replaces libc's...). Each says, like a wrong fix, how
//! the grade must reject it (`// expect <status>: <fragment>`); `dev check` proves it.

use std::path::{Path, PathBuf};

use super::layout::fixtures_of;
use crate::course::{Course, Exercise};

pub const FOLDER: &str = "tests/cheats";

/// The cheat fixtures of `course`, each with its exercise, and the files in the folder that
/// name no exercise.
pub fn collect(course: &Course) -> (Vec<(&Exercise, PathBuf)>, Vec<String>) {
    let mut cheats = Vec::new();
    let mut strays = Vec::new();
    for file in fixtures_of(course, Path::new(FOLDER)) {
        let exercise = file.strip_prefix(FOLDER).ok().and_then(|rest| {
            let mut parts = rest.components().map(|c| c.as_os_str().to_string_lossy());
            let (chapter, name) = (parts.next()?, parts.next()?);
            course
                .exercises
                .iter()
                .find(|e| e.chapter() == chapter && e.name() == name)
        });
        match exercise {
            Some(exercise) if file.components().count() == 5 => cheats.push((exercise, file)),
            _ => strays.push(format!(
                "{} is not in {FOLDER}/NN_chapter/EXERCISE/ of an exercise in info.toml",
                file.display()
            )),
        }
    }
    (cheats, strays)
}

/// Whether a graded fixture is a cheat (rather than a wrong fix).
pub fn is_cheat(fixture: &Path) -> bool {
    fixture.starts_with(FOLDER)
}
