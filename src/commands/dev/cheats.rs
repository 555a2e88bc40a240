//! Cheat fixtures (`tests/cheats/NN_chapter/EXERCISE/KIND.rs`): complete learner files that try
//! to pass an exercise without solving it (an early `exit`, a constructor before `main`, a
//! write to the checkout, a symbol that replaces libc's...). Each says, like a wrong fix, how
//! the grade must reject it (`// expect <status>: <fragment>`); `dev check` proves it.

use std::path::{Path, PathBuf};

use super::layout::fixtures_of;
use crate::course::{CHEATS, Course};

/// The files in the cheats folder that belong to no exercise of `course` (each with why).
pub fn strays(course: &Course) -> Vec<String> {
    let expected: Vec<PathBuf> = course
        .exercises
        .iter()
        .flat_map(|e| fixtures_of(course, &e.cheats()))
        .filter(|file| file.components().count() == 5)
        .collect();
    fixtures_of(course, Path::new(CHEATS))
        .into_iter()
        .filter(|file| !expected.contains(file))
        .map(|file| {
            format!(
                "{} is not in {CHEATS}/NN_chapter/EXERCISE/ of an exercise in info.toml",
                file.display()
            )
        })
        .collect()
}
