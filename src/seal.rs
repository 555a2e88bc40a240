//! The seal: fingerprints of the hidden files and of the shipped exercises.
//!
//! Hidden files: each exercise's grader, its clippy.toml if any, and the grading helpers'
//! sources inside the course. Fingerprints are git blob ids (`git hash-object FILE` prints the same), which serves two
//! purposes: a grade compares the hidden tests and grading helpers against them and says
//! "tampered" instead of passing a learner who edited a hidden test; and `asynclings reset`
//! finds the shipped version of an exercise in git's object store by its id.
//! The seal also lists each grader's checks (the test names a build of the grader with the
//! solution lists): a grade runs exactly those, never what the graded file's own binary
//! claims to contain.
//! `asynclings dev seal` writes the file; `asynclings dev check` fails while it is stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomically;
use crate::course::Course;
use crate::grade::toolchain::{Toolchain, collect_files};

pub const SEAL_FILE: &str = "tests/seal.toml";

#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// Hidden tests and grading helpers (course-relative path → blob id).
    pub hidden: BTreeMap<String, String>,
    /// Exercises as shipped (course-relative path → blob id).
    pub shipped: BTreeMap<String, String>,
    /// Each grader's checks (course-relative grader path → test names in the test binary).
    #[serde(default)]
    pub checks: BTreeMap<String, Vec<String>>,
}

/// The git blob id of `bytes`.
pub fn blob_id(bytes: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.digest().to_string()
}

fn file_id(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| blob_id(&bytes))
}

fn relative(course: &Course, path: &Path) -> Option<String> {
    path.strip_prefix(&course.root)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// The grading helpers' files inside the course (helpers outside it, say a crate from
/// crates.io, cannot be edited by a learner working in the course).
pub fn helper_files(course: &Course, toolchain: &Toolchain) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in &toolchain.local_sources {
        collect_files(folder, &mut files);
    }
    files.retain(|f| f.starts_with(&course.root));
    files.sort();
    files
}

impl Seal {
    /// The seal of `course`, or `None` when it has none.
    pub fn load(course: &Course) -> Result<Option<Self>> {
        let path = course.root.join(SEAL_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        toml::from_str(&text).map(Some).map_err(|err| {
            let line = err
                .span()
                .map_or(0, |s| text[..s.start].matches('\n').count() + 1);
            anyhow::anyhow!("{}:{line}: {}", path.display(), err.message().trim())
        })
    }

    /// Whether the fingerprinted files of both seals agree (check lists aside: they come from
    /// a build, see `Grader::list_all_checks`).
    pub fn files_match(&self, other: &Self) -> bool {
        self.hidden == other.hidden && self.shipped == other.shipped
    }

    /// The exercises of `course` whose checks the seal does not list.
    pub fn missing_check_lists(&self, course: &Course) -> Vec<String> {
        course
            .exercises
            .iter()
            .filter(|e| !self.checks.contains_key(&*e.grader().to_string_lossy()))
            .map(|e| {
                format!(
                    "{SEAL_FILE} lists no checks for `{}`: run `asynclings dev seal`",
                    e.name()
                )
            })
            .collect()
    }

    /// What the seal of `course` should be now (without check lists).
    pub fn compute(course: &Course, toolchain: &Toolchain) -> Self {
        let mut seal = Self::default();
        let hidden = course
            .exercises
            .iter()
            .flat_map(|e| [Some(course.path(&e.grader())), course.clippy_config(e)])
            .flatten()
            .chain(helper_files(course, toolchain));
        for path in hidden {
            if let (Some(rel), Some(id)) = (relative(course, &path), file_id(&path)) {
                seal.hidden.insert(rel, id);
            }
        }
        for exercise in &course.exercises {
            let rel = exercise.file();
            if let Some(id) = file_id(&course.path(&rel)) {
                seal.shipped.insert(rel.to_string_lossy().into_owned(), id);
            }
        }
        seal
    }

    pub fn save(&self, course: &Course) -> Result<()> {
        let header = "# Written by `asynclings dev seal`: git blob ids (`git hash-object FILE`) of the hidden\n\
                      # files, compared on every grade, and of the shipped exercises, which `asynclings reset`\n\
                      # restores from git; and each grader's checks, the only ones a grade runs.\n\
                      # `asynclings dev check` fails while this is stale.\n\n";
        let body = toml::to_string_pretty(self).context("cannot serialize the seal")?;
        write_atomically(
            &course.root.join(SEAL_FILE),
            format!("{header}{body}").as_bytes(),
        )
    }

    /// The hidden files among `files` that differ from the seal, each with why.
    pub fn tampered(&self, course: &Course, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .filter_map(|path| {
                let rel = relative(course, path)?;
                match (self.hidden.get(&rel), file_id(path)) {
                    (Some(sealed), Some(now)) if *sealed == now => None,
                    (Some(_), Some(_)) => Some(format!("{rel} was modified")),
                    (Some(_), None) => Some(format!("{rel} was deleted")),
                    (None, _) => Some(format!("{rel} is not part of the sealed course")),
                }
            })
            .collect()
    }

    /// Restores `exercise_file` (course-relative) to its shipped content from git.
    pub fn restore(&self, course: &Course, exercise_file: &Path) -> Result<()> {
        let rel = exercise_file.to_string_lossy();
        let id = self.shipped.get(rel.as_ref()).with_context(|| {
            format!("the seal does not know {rel}, so its shipped version is unknown")
        })?;
        let output = Command::new("git")
            .args(["cat-file", "blob", id])
            .current_dir(&course.root)
            .output()
            .context("cannot run git, which keeps the shipped exercises")?;
        if !output.status.success() || blob_id(&output.stdout) != *id {
            bail!(
                "the shipped version of {rel} (git blob {id}) is not in this repository; restore it from the course's repository"
            );
        }
        let target = course.path(exercise_file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write_atomically(&target, &output.stdout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }
}
