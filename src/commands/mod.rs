//! One module per command; [`Session`] holds what most of them need.

pub mod dev;
pub mod hint;
pub mod list;
pub mod reset;
pub mod run;
mod tests_from;
pub mod verify;

use std::io::Write as _;
use std::path::Path;

use anyhow::Result;
use console::style;

use crate::course::{Course, Exercise};
use crate::exit::UsageError;
use crate::progress::{Progress, STATE_FILE};

/// A course and the learner's progress in it.
pub struct Session {
    pub course: Course,
    pub progress: Progress,
}

impl Session {
    /// Loads the course and the progress file; a repaired progress file is reported here.
    pub fn open(course_dir: Option<&Path>) -> Result<Self> {
        let course = Course::load(&Course::locate(course_dir)?)?;
        let (progress, notice) = Progress::load(&course.root.join(STATE_FILE))?;
        if let Some(notice) = notice {
            announce(&notice);
        }
        Ok(Self { course, progress })
    }

    /// The exercise to work on (watch opens it too): the one the learner last moved to (with
    /// `n` or the list), else the first unfinished one.
    pub fn current(&self) -> Option<&Exercise> {
        let chosen = self
            .progress
            .chosen()
            .and_then(|name| self.course.exercises.iter().find(|e| e.name() == name));
        chosen.or_else(|| {
            self.course
                .exercises
                .iter()
                .find(|e| !self.progress.is_done(e.name()))
        })
    }

    /// `name`'s exercise, or the current one when no name is given.
    pub fn exercise_or_current(&self, name: Option<&str>) -> Result<&Exercise> {
        match name {
            Some(name) => Ok(self.course.find(name)?),
            None => self.current().ok_or_else(|| {
                UsageError(format!(
                    "every exercise is done! Name one to grade it again, or run `{}`",
                    crate::invocation::command("verify")
                ))
                .into()
            }),
        }
    }

    pub fn done_count(&self) -> usize {
        self.course
            .exercises
            .iter()
            .filter(|e| self.progress.is_done(e.name()))
            .count()
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal); `tick(done)` moves it.
pub fn progress_bar(total: usize, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64).with_message(label.to_owned());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30.cyan/dim}] {pos}/{len} {elapsed}")
            .expect("the template is valid")
            .progress_chars("█▉░"),
    );
    bar
}

/// A status message from asynclings itself (not a verdict), on stderr.
pub fn announce(message: &str) {
    // A closed stderr is no reason to stop (or to panic).
    let _ = writeln!(
        std::io::stderr(),
        "{} {message}",
        style("asynclings:").cyan().bold()
    );
}
