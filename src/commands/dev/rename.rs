//! `asynclings dev rename OLD NEW`: an exercise renamed everywhere it lives, as one operation.
//! Its file, solution, hidden tests and fixture folders (wrong fixes, right fixes, cheats) move; its `info.toml` entry, editor
//! target and sealed fingerprints follow (so a seal that was current stays current); your
//! progress marks follow. A step that fails undoes the ones before it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::transaction::{self, Planned, Step};
use super::{info_edit, manifest_edit, progress_edit};
use crate::course::{Course, Exercise, INFO_FILE, Info, info};
use crate::exit::UsageError;
use crate::progress::STATE_FILE;
use crate::seal::{SEAL_FILE, Seal};

/// Mentions of the old name listed at most.
const MENTIONS_SHOWN: usize = 10;

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The exercise's name now
    old: String,
    /// Its new name: lowercase letters, digits and `_`
    new: String,
}

pub fn run(course: &Course, args: &RenameArgs) -> Result<()> {
    let exercise = course.find(&args.old)?;
    let (old, new) = (exercise.name(), args.new.as_str());
    if !info::is_identifier(new) {
        return Err(UsageError(format!(
            "exercise name `{new}` must be lowercase letters, digits and `_`, starting with a letter"
        ))
        .into());
    }
    if let Some(taken) = course.exercises.iter().find(|e| e.name() == new) {
        return Err(UsageError(format!(
            "exercise `{new}` already exists ({}, chapter {})",
            taken.info.defined_at,
            taken.chapter()
        ))
        .into());
    }
    let renamed = Exercise {
        info: info::ExerciseInfo {
            name: new.to_owned(),
            ..exercise.info.clone()
        },
    };

    let mut steps = Vec::new();
    let mut report: Vec<(String, &str)> = Vec::new();
    for (from, to) in [
        (exercise.wrong_fixes(), renamed.wrong_fixes()),
        (exercise.right_fixes(), renamed.right_fixes()),
        (exercise.cheats(), renamed.cheats()),
        (exercise.grader(), renamed.grader()),
        (exercise.solution(), renamed.solution()),
        (exercise.file(), renamed.file()),
    ] {
        if !course.path(&from).exists() {
            continue;
        }
        if course.path(&to).exists() {
            return Err(UsageError(format!(
                "{} already exists: move it away, or choose another name; nothing was changed",
                to.display()
            ))
            .into());
        }
        let what = format!("{} → {}", from.display(), to.display());
        steps.push(Planned {
            step: Step::Move {
                from: course.path(&from),
                to: course.path(&to),
            },
            what: what.clone(),
        });
        report.push((what, ""));
    }

    let info_path = course.root.join(INFO_FILE);
    let text = std::fs::read_to_string(&info_path)
        .with_context(|| format!("cannot read {}", info_path.display()))?;
    let parsed = Info::parse(&info_path, &text)?;
    let edited = info_edit::rename(&info_path, &text, &parsed, old, new)?;
    steps.push(write(
        info_path,
        edited,
        format!("{INFO_FILE}: the entry's name"),
    ));
    report.push((INFO_FILE.to_owned(), "its entry"));

    let manifest = manifest_edit::rename(course, old, new, &renamed.file())?;
    if let Some(mut seal) = Seal::load(course)? {
        let mut moved = false;
        for (from, to, map) in [
            (exercise.grader(), renamed.grader(), &mut seal.hidden),
            (exercise.file(), renamed.file(), &mut seal.shipped),
        ] {
            if let Some(id) = map.remove(&*from.to_string_lossy()) {
                map.insert(to.to_string_lossy().into_owned(), id);
                moved = true;
            }
        }
        // The grader's check list moves with it (its test names do not name the exercise).
        if let Some(checks) = seal.checks.remove(&*exercise.grader().to_string_lossy()) {
            seal.checks
                .insert(renamed.grader().to_string_lossy().into_owned(), checks);
            moved = true;
        }
        if let Some(edit) = &manifest {
            moved |= edit.reseal(course, &mut seal);
        }
        if moved {
            steps.push(write(
                course.root.join(SEAL_FILE),
                seal.text()?,
                format!("{SEAL_FILE}: the fingerprints of the moved files"),
            ));
            report.push((
                SEAL_FILE.to_owned(),
                "its fingerprints, under the new paths (no new `dev seal` needed)",
            ));
        }
    }
    if let Some(edit) = manifest {
        let relative = edit.relative(course).display().to_string();
        steps.push(write(
            edit.manifest,
            edit.text,
            format!("{relative}: the editor target"),
        ));
        report.push((relative, "its editor target"));
    }

    transaction::apply(&steps, &format!("renaming `{old}` to `{new}`"))?;
    println!(
        "Renamed `{old}` to `{new}` (chapter {}):",
        exercise.chapter()
    );
    let progress = progress_edit::apply(course, |progress| {
        let had = progress.mentions(old);
        progress.rename(old, new);
        had
    });
    print_report(&report, progress);
    let mentions = old_mentions(course, &renamed, old);
    if !mentions.is_empty() {
        println!("\nThese still say `{old}` (left as they are: check them):");
        for mention in mentions.iter().take(MENTIONS_SHOWN) {
            println!("  {mention}");
        }
        if mentions.len() > MENTIONS_SHOWN {
            println!("  … and {} more", mentions.len() - MENTIONS_SHOWN);
        }
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

/// The report's table (what changed, and what it is), then the progress file's fate.
pub(super) fn print_report(report: &[(String, &str)], progress: Option<Result<(), String>>) {
    let mut rows: Vec<(String, &str)> = report.to_vec();
    if let Some(Ok(())) = progress {
        rows.push((STATE_FILE.to_owned(), "your progress marks"));
    }
    // Moves say it all in their first column; the other rows line up their second.
    let width = rows
        .iter()
        .filter(|(_, role)| !role.is_empty())
        .map(|(what, _)| what.len())
        .max()
        .unwrap_or(0);
    for (what, role) in &rows {
        println!("{}", format!("  {what:<width$}  {role}").trim_end());
    }
    if let Some(Err(why)) = progress {
        eprintln!("{} {why}", console::style("warning:").yellow().bold());
    }
}

/// `file:line` of each whole-word mention of `old` in the renamed exercise's files and its
/// entry in info.toml.
fn old_mentions(course: &Course, renamed: &Exercise, old: &str) -> Vec<String> {
    let mut files = vec![renamed.file(), renamed.solution(), renamed.grader()];
    for folder in [
        renamed.wrong_fixes(),
        renamed.right_fixes(),
        renamed.cheats(),
    ] {
        files.extend(super::layout::fixtures_of(course, &folder));
    }
    files.push(super::layout::chapter_readme(renamed.chapter()));
    let mut mentions = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(course.path(file)) else {
            continue;
        };
        for (index, line) in text.lines().enumerate() {
            if mentions_word(line, old) {
                mentions.push(format!("{}:{}", file.display(), index + 1));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(course.root.join(INFO_FILE)) {
        let start = renamed.info.defined_at.line;
        for (index, line) in text.lines().enumerate().skip(start) {
            if line.trim_start().starts_with("[[") {
                break;
            }
            if mentions_word(line, old) {
                mentions.push(format!("{INFO_FILE}:{}", index + 1));
            }
        }
    }
    mentions
}

/// Whether `line` has `word` with no identifier character on either side.
fn mentions_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::mentions_word;

    #[test]
    fn finds_the_old_name_as_a_word_only() {
        assert!(mentions_word("asynclings run wakers1 now", "wakers1"));
        assert!(mentions_word("`wakers1`", "wakers1"));
        assert!(!mentions_word("wakers10 and my_wakers1", "wakers1"));
    }
}
