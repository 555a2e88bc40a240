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

/// The blob id git gives the file at `path`: its own bytes' id when that is `expected` (the
/// common case, no process started), else what `git hash-object` says, which applies the
/// checkout's clean filters (`core.autocrlf`, `.gitattributes` `eol`/`text`/`ident`/`filter`),
/// so a CRLF checkout of an unchanged file is unchanged, as `git status` sees it. Without git
/// (or outside a repository) the bytes' own id.
fn file_id(path: &Path, expected: Option<&str>) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let raw = blob_id(&bytes);
    if expected == Some(raw.as_str()) {
        return Some(raw);
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Some(raw);
    };
    let filtered = Command::new("git")
        .arg("hash-object")
        .arg("--")
        .arg(name)
        .current_dir(dir)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|id| id.trim().to_owned())
        .filter(|id| id.len() == 40);
    Some(filtered.unwrap_or(raw))
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
    // A package nested in another's folder (course/helpers in course/) is found twice.
    files.sort();
    files.dedup();
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
            if let (Some(rel), Some(id)) = (relative(course, &path), file_id(&path, None)) {
                seal.hidden.insert(rel, id);
            }
        }
        for exercise in &course.exercises {
            let rel = exercise.file();
            if let Some(id) = file_id(&course.path(&rel), None) {
                seal.shipped.insert(rel.to_string_lossy().into_owned(), id);
            }
        }
        seal
    }

    pub fn save(&self, course: &Course) -> Result<()> {
        write_atomically(&course.root.join(SEAL_FILE), self.text()?.as_bytes())
    }

    /// The file's contents, as [`Seal::save`] writes them.
    pub fn text(&self) -> Result<String> {
        let header = "# Written by `asynclings dev seal`: git blob ids (`git hash-object FILE`) of the hidden\n\
                      # files, compared on every grade, and of the shipped exercises, which `asynclings reset`\n\
                      # restores from git; and each grader's checks, the only ones a grade runs.\n\
                      # `asynclings dev check` fails while this is stale.\n\n";
        let body = toml::to_string_pretty(self).context("cannot serialize the seal")?;
        Ok(format!("{header}{body}"))
    }

    /// The hidden files among `files` that differ from the seal, each with how.
    pub fn mismatches(&self, course: &Course, files: &[PathBuf]) -> Vec<Mismatch> {
        files
            .iter()
            .filter_map(|path| {
                let rel = relative(course, path)?;
                let sealed = self.hidden.get(&rel);
                let kind = match (sealed, file_id(path, sealed.map(String::as_str))) {
                    (Some(sealed), Some(now)) if *sealed == now => return None,
                    (Some(_), Some(_)) => MismatchKind::Modified,
                    (Some(_), None) => MismatchKind::Deleted,
                    (None, _) => MismatchKind::Unsealed,
                };
                Some(Mismatch {
                    file: rel,
                    path: path.clone(),
                    kind,
                    while_checks_ran: false,
                })
            })
            .collect()
    }

    /// Restores `exercise_file` (course-relative) to its shipped content from git. Fails,
    /// leaving the file as it is, when the shipped version cannot be found; the error says what
    /// to do.
    pub fn restore(&self, course: &Course, exercise_file: &Path) -> Result<Restored> {
        let rel = exercise_file.to_string_lossy();
        let target = course.path(exercise_file);
        let Some(id) = self.shipped.get(rel.as_ref()) else {
            bail!(
                "{rel} is not sealed yet, so its shipped version is unknown; if you are writing it, \
                 `{}` records it as shipped (then commit it). {rel} was left as it is.",
                crate::invocation::command("dev seal")
            );
        };
        if file_id(&target, Some(id)).as_ref() == Some(id) {
            return Ok(Restored::AlreadyShipped);
        }
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(&course.root)
                .output()
                .context("cannot run git, which keeps the shipped exercises")
        };
        let output = git(&["cat-file", "blob", id])?;
        if !output.status.success() || blob_id(&output.stdout) != *id {
            let left = if target.exists() {
                format!("{rel} was left as it is")
            } else {
                "nothing was changed".to_owned()
            };
            let in_git = git(&["rev-parse", "--is-inside-work-tree"])?
                .status
                .success();
            if !in_git {
                bail!(
                    "{} is not a git repository, and git keeps the shipped exercises: clone the \
                     course with git (or copy {rel}, sealed as git blob {id}, from its original \
                     repository) to get it back; if you are writing the course, put it in git \
                     and commit it first. {left}.",
                    course.root.display()
                );
            }
            let add = format!("add {} {SEAL_FILE}", crate::invocation::quote(&rel));
            bail!(
                "the shipped version of {rel} (sealed as git blob {id}) is not in this git \
                 repository yet. If you are writing the course, commit it first (`{}`, then \
                 `{}`), and reset can restore it; a learner restores it from the course's \
                 repository. {left}.",
                crate::invocation::git_in(&course.root, &add),
                crate::invocation::git_in(&course.root, "commit"),
            );
        }
        // As a checkout writes it: CRLF line ends under core.autocrlf, and other smudge filters.
        let path_arg = format!("--path={rel}");
        let output = match git(&["cat-file", "--filters", &path_arg, id]) {
            Ok(filtered) if filtered.status.success() => filtered,
            _ => output,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write_atomically(&target, &output.stdout)?;
        Ok(Restored::Restored)
    }
}

/// What [`Seal::restore`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restored {
    Restored,
    /// The file already was the shipped version; nothing was written.
    AlreadyShipped,
}

/// A hidden file that does not match the seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Relative to the course.
    pub file: String,
    /// Absolute.
    pub path: PathBuf,
    pub kind: MismatchKind,
    /// Found after the checks ran, when it held before: learner code changed it (possible
    /// only where the kernel could not confine the checks).
    pub while_checks_ran: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    /// Sealed, and its content changed: someone edited a hidden file.
    Modified,
    /// Sealed, and gone.
    Deleted,
    /// Not in the seal: a hidden file written since the last `dev seal` (or the seal itself
    /// is missing, when `file` is the seal's path).
    Unsealed,
    /// A grader (`file`) whose checks the seal does not list (sealed by an older asynclings):
    /// what to run cannot be known without running code that may be the learner's.
    ChecksUnlisted,
}

impl Mismatch {
    /// The seal itself is missing: nothing is sealed yet.
    pub fn no_seal(course: &Course) -> Self {
        Self {
            file: SEAL_FILE.to_owned(),
            path: course.root.join(SEAL_FILE),
            kind: MismatchKind::Unsealed,
            while_checks_ran: false,
        }
    }

    /// The seal lists no checks for the grader at `grader` (course-relative).
    pub fn checks_unlisted(course: &Course, grader: &Path) -> Self {
        Self {
            file: grader.to_string_lossy().into_owned(),
            path: course.path(grader),
            kind: MismatchKind::ChecksUnlisted,
            while_checks_ran: false,
        }
    }

    /// The seal file itself changed while the checks ran.
    pub fn seal_changed_by_checks(course: &Course) -> Self {
        Self {
            file: SEAL_FILE.to_owned(),
            path: course.root.join(SEAL_FILE),
            kind: MismatchKind::Modified,
            while_checks_ran: true,
        }
    }

    /// The course's folder (`path` without `file`).
    pub fn course_root(&self) -> PathBuf {
        let mut root = self.path.clone();
        for _ in Path::new(&self.file).components() {
            root.pop();
        }
        root
    }

    /// Whether a sealed file was changed or deleted (rather than never sealed), or anything
    /// changed while the checks ran.
    pub fn is_tampering(&self) -> bool {
        self.while_checks_ran || matches!(self.kind, MismatchKind::Modified | MismatchKind::Deleted)
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = &self.file;
        match self.kind {
            MismatchKind::Modified => write!(f, "{file} was modified"),
            MismatchKind::Deleted => write!(f, "{file} was deleted"),
            MismatchKind::Unsealed if file == SEAL_FILE => {
                write!(f, "{file} is missing: the course is not sealed yet")
            }
            MismatchKind::Unsealed => write!(f, "{file} is not sealed yet"),
            MismatchKind::ChecksUnlisted => write!(
                f,
                "{SEAL_FILE} lists no checks for {file}, so what to run cannot be trusted (sealed by an older asynclings?)"
            ),
        }?;
        if self.while_checks_ran {
            write!(f, " while the checks ran")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn a_crlf_checkout_of_an_unchanged_file_has_the_sealed_id() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("grader.rs");
        std::fs::write(&file, "fn main() {}\n").unwrap();
        let sealed = blob_id(b"fn main() {}\n");
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["config", "core.autocrlf", "true"]);
        std::fs::write(&file, "fn main() {}\r\n").unwrap();
        assert_eq!(file_id(&file, Some(&sealed)), Some(sealed.clone()));
        std::fs::write(&file, "fn main() { edited() }\r\n").unwrap();
        assert_ne!(file_id(&file, Some(&sealed)), Some(sealed));
    }

    #[test]
    fn what_the_checks_changed_is_tampering_and_an_unlisted_grader_is_not() {
        let grader = |kind| Mismatch {
            file: "tests/graders/01_a/x.rs".into(),
            path: PathBuf::from("/course/tests/graders/01_a/x.rs"),
            kind,
            while_checks_ran: false,
        };
        let unlisted = grader(MismatchKind::ChecksUnlisted);
        assert!(!unlisted.is_tampering());
        assert_eq!(
            unlisted.to_string(),
            "tests/seal.toml lists no checks for tests/graders/01_a/x.rs, so what to run cannot be trusted (sealed by an older asynclings?)"
        );
        let mut changed = grader(MismatchKind::Unsealed);
        assert!(!changed.is_tampering());
        changed.while_checks_ran = true;
        assert!(changed.is_tampering());
        let mut modified = grader(MismatchKind::Modified);
        modified.while_checks_ran = true;
        assert_eq!(
            modified.to_string(),
            "tests/graders/01_a/x.rs was modified while the checks ran"
        );
    }

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
