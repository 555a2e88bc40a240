//! Changing several files as one operation (`dev rename`, `dev remove`): every step can be
//! undone, so a step that fails undoes the ones before it; and when even that fails, the
//! error lists what was done, what was not, and what to do by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::atomic_file::write_atomically;

/// One change to the course.
#[derive(Debug, Clone)]
pub enum Step {
    /// Move a file or folder (its parent folders are created).
    Move { from: PathBuf, to: PathBuf },
    /// Replace a file's contents.
    Write { path: PathBuf, contents: Vec<u8> },
}

/// A step and how to say it to the user.
#[derive(Debug, Clone)]
pub struct Planned {
    pub step: Step,
    /// Say, "tests/graders/01_demo/a.rs → tests/graders/01_demo/b.rs".
    pub what: String,
}

/// How to take a step back.
enum Undo {
    MoveBack { from: PathBuf, to: PathBuf },
    Restore { path: PathBuf, contents: Vec<u8> },
}

/// Takes every step in order. On the first failure, undoes the steps already taken, newest
/// first, and returns an error that says what happened to each step. `action` names the whole
/// operation in the error ("renaming `a` to `b`").
pub fn apply(steps: &[Planned], action: &str) -> Result<()> {
    let mut undo: Vec<(usize, Undo)> = Vec::new();
    for (index, planned) in steps.iter().enumerate() {
        match take(&planned.step) {
            Ok(back) => undo.push((index, back)),
            Err(error) => {
                return Err(rolled_back(steps, index, &error, undo, action));
            }
        }
    }
    Ok(())
}

fn take(step: &Step) -> Result<Undo> {
    match step {
        Step::Move { from, to } => {
            if to.exists() {
                anyhow::bail!("{} is in the way", to.display());
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            move_path(from, to)?;
            Ok(Undo::MoveBack {
                from: to.clone(),
                to: from.clone(),
            })
        }
        Step::Write { path, contents } => {
            let old =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            write_atomically(path, contents)?;
            Ok(Undo::Restore {
                path: path.clone(),
                contents: old,
            })
        }
    }
}

fn take_back(undo: &Undo) -> Result<()> {
    match undo {
        Undo::MoveBack { from, to } => move_path(from, to),
        Undo::Restore { path, contents } => write_atomically(path, contents),
    }
}

/// Moves a file or folder: a rename, or across file systems a copy and a removal.
fn move_path(from: &Path, to: &Path) -> Result<()> {
    let context = || format!("cannot move {} to {}", from.display(), to.display());
    match std::fs::rename(from, to) {
        Err(error) if error.kind() == std::io::ErrorKind::CrossesDevices => {
            copy_tree(from, to).with_context(context)?;
            if from.is_dir() {
                std::fs::remove_dir_all(from)
            } else {
                std::fs::remove_file(from)
            }
            .with_context(context)
        }
        result => result.with_context(context),
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return std::fs::copy(from, to).map(drop);
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        copy_tree(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Undoes `undo` (newest first) after `steps[failed]` failed with `error`; the error to show.
fn rolled_back(
    steps: &[Planned],
    failed: usize,
    error: &anyhow::Error,
    undo: Vec<(usize, Undo)>,
    action: &str,
) -> anyhow::Error {
    let mut stuck: Vec<(usize, anyhow::Error)> = Vec::new();
    for (index, back) in undo.iter().rev() {
        if let Err(error) = take_back(back) {
            stuck.push((*index, error));
        }
    }
    let mut message = format!("{action} failed at \"{}\": {error:#}.", steps[failed].what);
    if stuck.is_empty() {
        message.push_str(if failed == 0 {
            " Nothing was changed."
        } else {
            " The steps before it were undone: nothing was changed."
        });
        return anyhow!(message);
    }
    let _ = write!(
        message,
        "\nUndoing the steps before it failed too, so the course is half changed. Done, and still in place:"
    );
    stuck.sort_by_key(|(index, _)| *index);
    for (index, error) in &stuck {
        let _ = write!(
            message,
            "\n  - {} (could not undo: {error:#})",
            steps[*index].what
        );
    }
    message.push_str("\nNot done (finish these by hand, or undo the ones above):");
    for planned in &steps[failed..] {
        let _ = write!(message, "\n  - {}", planned.what);
    }
    anyhow!(message)
}

/// Removes `folder` and then each parent up to (not including) `stop`, as long as they are
/// empty. Never fails: a folder left behind only looks untidy.
pub fn prune_empty(folder: &Path, stop: &Path) {
    let mut current = Some(folder);
    while let Some(dir) = current {
        if dir == stop || !dir.starts_with(stop) || std::fs::remove_dir(dir).is_err() {
            return;
        }
        current = dir.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn takes_every_step() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, info) = (
            dir.path().join("a.rs"),
            dir.path().join("sub/b.rs"),
            dir.path().join("info.toml"),
        );
        write(&a, "a");
        write(&info, "old");
        let steps = [
            Planned {
                step: Step::Move {
                    from: a.clone(),
                    to: b.clone(),
                },
                what: "a → b".into(),
            },
            Planned {
                step: Step::Write {
                    path: info.clone(),
                    contents: b"new".to_vec(),
                },
                what: "info".into(),
            },
        ];
        apply(&steps, "renaming").unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(&info).unwrap(), "new");
    }

    #[test]
    fn a_failed_step_undoes_the_ones_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, info) = (
            dir.path().join("a.rs"),
            dir.path().join("b.rs"),
            dir.path().join("info.toml"),
        );
        write(&a, "a");
        write(&info, "old");
        // A file where a folder should be: fails even for root.
        let impossible = info.join("x.toml");
        let steps = [
            Planned {
                step: Step::Move {
                    from: a.clone(),
                    to: b.clone(),
                },
                what: "a → b".into(),
            },
            Planned {
                step: Step::Write {
                    path: info.clone(),
                    contents: b"new".to_vec(),
                },
                what: "info".into(),
            },
            Planned {
                step: Step::Write {
                    path: impossible,
                    contents: b"x".to_vec(),
                },
                what: "the impossible one".into(),
            },
        ];
        let error = apply(&steps, "renaming `a` to `b`")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("renaming `a` to `b` failed at \"the impossible one\": cannot read"),
            "{error}"
        );
        assert!(
            error.ends_with("The steps before it were undone: nothing was changed."),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a");
        assert!(!b.exists());
        assert_eq!(std::fs::read_to_string(&info).unwrap(), "old");
    }

    #[test]
    fn when_undoing_fails_too_it_says_what_is_done_and_what_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.rs"), dir.path().join("b.rs"));
        write(&a, "a");
        let steps = [
            Planned {
                step: Step::Move {
                    from: a.clone(),
                    to: b.clone(),
                },
                what: "a → b".into(),
            },
            Planned {
                step: Step::Write {
                    path: dir.path().join("missing.toml"),
                    contents: Vec::new(),
                },
                what: "edit missing.toml".into(),
            },
        ];
        // The first step is taken, then its result disappears, so it cannot be undone.
        let error = {
            let undo = vec![(0, take(&steps[0].step).unwrap())];
            std::fs::remove_file(&b).unwrap();
            rolled_back(
                &steps,
                1,
                &anyhow!("cannot read missing.toml"),
                undo,
                "renaming",
            )
            .to_string()
        };
        assert!(error.contains("the course is half changed"), "{error}");
        assert!(
            error.contains("Done, and still in place:\n  - a → b (could not undo: cannot move"),
            "{error}"
        );
        assert!(
            error.ends_with(
                "Not done (finish these by hand, or undo the ones above):\n  - edit missing.toml"
            ),
            "{error}"
        );
    }
}
