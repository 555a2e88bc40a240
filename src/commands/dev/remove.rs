//! `asynclings dev remove NAME`: an exercise taken out of the course everywhere it lives, as
//! one operation: its `info.toml` entry, editor target and sealed fingerprints, then its file,
//! solution, hidden tests and fixture folders (wrong fixes, right fixes, cheats; and, for the last exercise of a chapter, the
//! chapter's README and clippy.toml). Files are moved aside into the course's work folder, not
//! deleted, and the report says where. A step that fails undoes the ones before it.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Args;

use super::rename::print_report;
use super::transaction::{self, Planned, Step};
use super::{info_edit, layout, manifest_edit, progress_edit};
use crate::course::{CHEATS, CLIPPY_CONFIG, Course, INFO_FILE, Info, RIGHT_FIXES, WRONG_FIXES};
use crate::seal::{SEAL_FILE, Seal};

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The exercise to take out of the course
    name: String,
}

pub fn run(course: &Course, args: &RemoveArgs) -> Result<()> {
    let exercise = course.find(&args.name)?;
    let (name, chapter) = (exercise.name(), exercise.chapter());
    let last_of_chapter = !course
        .exercises
        .iter()
        .any(|e| e.name() != name && e.chapter() == chapter);
    let chapter_folder = Path::new("exercises").join(chapter);
    let mut files = vec![
        exercise.file(),
        exercise.solution(),
        exercise.grader(),
        exercise.wrong_fixes(),
        exercise.right_fixes(),
        exercise.cheats(),
    ];
    if last_of_chapter {
        files.push(layout::chapter_readme(chapter));
        files.push(chapter_folder.join(CLIPPY_CONFIG));
    }
    files.retain(|f| course.path(f).exists());

    let mut steps = Vec::new();
    let mut report: Vec<(String, &str)> = Vec::new();
    let info_path = course.root.join(INFO_FILE);
    let text = std::fs::read_to_string(&info_path)
        .with_context(|| format!("cannot read {}", info_path.display()))?;
    let parsed = Info::parse(&info_path, &text)?;
    let edited = info_edit::remove(&info_path, &text, &parsed, name)?;
    steps.push(write(
        info_path,
        edited,
        format!("{INFO_FILE}: take out the entry"),
    ));
    report.push((INFO_FILE.to_owned(), "its entry, taken out"));

    let manifest = manifest_edit::remove(course, name)?;
    if let Some(mut seal) = Seal::load(course)? {
        let mut sealed = vec![exercise.grader(), exercise.file()];
        if last_of_chapter {
            sealed.push(chapter_folder.join(CLIPPY_CONFIG));
        }
        let mut changed = false;
        for path in sealed {
            let key = path.to_string_lossy();
            changed |= seal.hidden.remove(&*key).is_some();
            changed |= seal.shipped.remove(&*key).is_some();
            changed |= seal.checks.remove(&*key).is_some();
        }
        if let Some(edit) = &manifest {
            changed |= edit.reseal(course, &mut seal);
        }
        if changed {
            steps.push(write(
                course.root.join(SEAL_FILE),
                seal.text()?,
                format!("{SEAL_FILE}: forget the removed files"),
            ));
            report.push((SEAL_FILE.to_owned(), "its fingerprints, forgotten"));
        }
    }
    if let Some(edit) = manifest {
        let relative = edit.relative(course).display().to_string();
        steps.push(write(
            edit.manifest,
            edit.text,
            format!("{relative}: take out the editor target"),
        ));
        report.push((relative, "its editor target, taken out"));
    }

    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let kept = course
        .work_dir()
        .join("removed")
        .join(format!("{name}-{stamp}"));
    for file in &files {
        steps.push(Planned {
            step: Step::Move {
                from: course.path(file),
                to: kept.join(file),
            },
            what: format!("move {} aside", file.display()),
        });
        report.push((file.display().to_string(), "moved aside"));
    }

    transaction::apply(&steps, &format!("removing `{name}`"))?;
    for folder in [
        "exercises",
        "solutions",
        "tests/graders",
        WRONG_FIXES,
        RIGHT_FIXES,
        CHEATS,
    ] {
        let top = course.path(Path::new(folder));
        transaction::prune_empty(&top.join(chapter), &top);
    }
    println!("Removed `{name}` (chapter {chapter}):");
    let progress = progress_edit::apply(course, |progress| {
        let had = progress.mentions(name);
        progress.forget(name);
        had
    });
    print_report(&report, progress);
    if !files.is_empty() {
        let kept: PathBuf = kept
            .strip_prefix(&course.root)
            .map_or_else(|_| kept.clone(), Path::to_path_buf);
        println!(
            "\nThe removed files are kept in {}/ (until the build folder is cleaned).",
            kept.display()
        );
    }
    if last_of_chapter {
        println!("That was the last exercise of chapter {chapter}: the chapter is gone too.");
    }
    Ok(())
}

fn write(path: PathBuf, text: String, what: String) -> Planned {
    Planned {
        step: Step::Write {
            path,
            contents: text.into_bytes(),
        },
        what,
    }
}
