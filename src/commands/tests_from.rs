//! `verify --tests-from DIR|REV`: the course a class is graded against comes from the
//! instructor, not from the student's repository. Everything but the student's exercise files
//! (info.toml, hidden tests, seal, grading helpers, the dependency manifest and lock file) is
//! read from an instructor's checkout (DIR) or from a git revision (REV: a commit, a tag, or
//! `FETCH_HEAD` after fetching the template), extracted outside the student's repository.
//!
//! Outside, because cargo reads `.cargo/config.toml` from every folder above the one it runs in:
//! a course inside the student's repository would build with the student's cargo settings.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::course::{Course, INFO_FILE};
use crate::exit::UsageError;

/// The instructor's course for `source`, seen from the student's course at `student`.
pub fn load(student: &Path, source: &str) -> Result<Course> {
    let as_dir = student.join(source);
    let root = if as_dir.join(INFO_FILE).is_file() {
        as_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", as_dir.display()))?
    } else {
        extract(student, source)?
    };
    if root.starts_with(student) {
        return Err(UsageError(format!(
            "--tests-from {source}: the instructor's course must live outside the student's repository \
             ({} is inside {}), or the student's cargo configuration would apply to it",
            root.display(),
            student.display()
        ))
        .into());
    }
    Course::load(&root)
}

/// Extracts revision `rev` of the student's repository into the system temp folder (once per
/// commit); the folder of the extracted course.
fn extract(student: &Path, rev: &str) -> Result<PathBuf> {
    let output = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .current_dir(student)
        .output()
        .context("cannot run git")?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || commit.is_empty() {
        return Err(UsageError(format!(
            "--tests-from {rev}: neither a course folder (with an {INFO_FILE}) nor a git revision of {}",
            student.display()
        ))
        .into());
    }
    let root = std::env::temp_dir()
        .join("asynclings-tests-from")
        .join(&commit);
    if root.join(INFO_FILE).is_file() {
        return Ok(root);
    }
    let partial = root.with_extension(format!("partial-{}", std::process::id()));
    std::fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", &commit])
        .current_dir(student)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git archive")?;
    let stdout = archive.stdout.take().expect("stdout is piped");
    let unpacked = Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(&partial)
        .stdin(stdout)
        .status()
        .context("cannot run tar")?;
    let archived = archive.wait().context("git archive did not finish")?;
    if !archived.success() || !unpacked.success() {
        let _ = std::fs::remove_dir_all(&partial);
        bail!("cannot extract {rev} ({commit}) of {}", student.display());
    }
    if !partial.join(INFO_FILE).is_file() {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(UsageError(format!(
            "--tests-from {rev}: that revision has no {INFO_FILE}: it is not an asynclings course"
        ))
        .into());
    }
    // Another process may have extracted the same commit meanwhile: either copy will do.
    if std::fs::rename(&partial, &root).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    Ok(root)
}
