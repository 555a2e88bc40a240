//! The learner's progress: which exercises are done, which is current, how many hints were
//! shown. A small line-based file, so that a damaged line costs that line only.
//!
//! ```text
//! # asynclings progress, format 1
//! current wakers3_stale_waker
//! done intro1_await
//! hints wakers3_stale_waker 2
//! ```
//!
//! Writes are atomic (temp file + rename). A damaged or foreign file is reported in one line,
//! kept aside as `<file>.corrupt-<time>`, and rebuilt from every line that still reads.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::atomic_file::write_atomically;

pub const STATE_FILE: &str = ".asynclings-state.txt";
const HEADER: &str = "# asynclings progress, format 1";

#[derive(Debug, Default, PartialEq)]
pub struct Progress {
    path: PathBuf,
    /// In the order the exercises were finished.
    done: Vec<String>,
    current: Option<String>,
    hints: BTreeMap<String, usize>,
    /// Exercises whose latest grade failed after they were done: their done marks must not
    /// come back from the file when saving merges in marks written by other processes.
    not_done: Vec<String>,
    /// Exercises renamed or removed by the instructor: their done marks on disk are not merged
    /// back in by [`Progress::save`] either.
    dropped: Vec<String>,
}

/// What a file held, line by line, and how many lines could not be read.
struct Parsed {
    progress: Progress,
    foreign: bool,
    bad_lines: Vec<usize>,
}

impl Progress {
    /// Loads the progress file at `path`. A missing file is a fresh start. A damaged one is
    /// repaired on disk; the returned notice (one line) says what happened.
    pub fn load(path: &Path) -> Result<(Self, Option<String>)> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::empty(path), None));
            }
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        let parsed = parse(path, &String::from_utf8_lossy(&bytes));
        if !parsed.foreign && parsed.bad_lines.is_empty() {
            return Ok((parsed.progress, None));
        }
        let backup = keep_aside(path, &bytes)?;
        parsed.progress.save()?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let kept = parsed.progress.done.len();
        let notice = if parsed.foreign {
            format!(
                "{name} was not an asynclings progress file: kept {kept} done marks, saved the original as {}; `{}` re-marks finished exercises",
                backup.display(),
                crate::invocation::command("verify")
            )
        } else {
            format!(
                "{name} was damaged ({} unreadable lines, first at line {}): kept {kept} done marks, saved the original as {}",
                parsed.bad_lines.len(),
                parsed.bad_lines[0],
                backup.display()
            )
        };
        Ok((parsed.progress, Some(notice)))
    }

    fn empty(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            ..Self::default()
        }
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.done.iter().any(|done| done == name)
    }

    /// Records `name` as done; returns whether it was new.
    pub fn mark_done(&mut self, name: &str) -> bool {
        if self.current.as_deref() == Some(name) {
            self.current = None;
        }
        self.not_done.retain(|n| n != name);
        if self.is_done(name) {
            return false;
        }
        self.done.push(name.to_owned());
        true
    }

    /// Takes back `name`'s done mark: its latest grade failed. Returns whether it had one.
    pub fn mark_not_done(&mut self, name: &str) -> bool {
        if !self.not_done.iter().any(|n| n == name) {
            self.not_done.push(name.to_owned());
        }
        let before = self.done.len();
        self.done.retain(|n| n != name);
        before != self.done.len()
    }

    /// The exercise the learner chose to work on, if any (else the first unfinished one is).
    pub fn chosen(&self) -> Option<&str> {
        self.current.as_deref()
    }

    pub fn choose(&mut self, name: &str) {
        self.current = Some(name.to_owned());
    }

    /// How many hint levels of `name` were shown so far.
    pub fn hints_shown(&self, name: &str) -> usize {
        self.hints.get(name).copied().unwrap_or(0)
    }

    pub fn set_hints_shown(&mut self, name: &str, levels: usize) {
        self.hints.insert(name.to_owned(), levels);
    }

    /// Moves every mark of `old` to `new` (`asynclings dev rename`).
    pub fn rename(&mut self, old: &str, new: &str) {
        for name in &mut self.done {
            if name == old {
                *name = new.to_owned();
            }
        }
        if self.current.as_deref() == Some(old) {
            self.current = Some(new.to_owned());
        }
        if let Some(levels) = self.hints.remove(old) {
            self.hints.insert(new.to_owned(), levels);
        }
        self.dropped.push(old.to_owned());
    }

    /// Drops every mark of `name` (`asynclings dev remove`).
    pub fn forget(&mut self, name: &str) {
        self.done.retain(|done| done != name);
        if self.current.as_deref() == Some(name) {
            self.current = None;
        }
        self.hints.remove(name);
        self.dropped.push(name.to_owned());
    }

    /// Whether any mark names `name`.
    pub fn mentions(&self, name: &str) -> bool {
        self.is_done(name) || self.current.as_deref() == Some(name) || self.hints.contains_key(name)
    }

    /// Writes the file atomically. Done marks another asynclings process wrote meanwhile (say,
    /// `run` in a second terminal while `watch` is open) are merged in, never dropped.
    pub fn save(&self) -> Result<()> {
        let mut merged = self.done.clone();
        if let Ok(text) = std::fs::read_to_string(&self.path) {
            let on_disk = parse(&self.path, &text).progress;
            merged.extend(on_disk.done.into_iter().filter(|name| {
                !self.is_done(name) && !self.not_done.contains(name) && !self.dropped.contains(name)
            }));
        }
        let mut text =
            format!("{HEADER}\n# Written by asynclings; `asynclings reset` never touches it.\n");
        if let Some(current) = &self.current {
            let _ = writeln!(text, "current {current}");
        }
        for name in &merged {
            let _ = writeln!(text, "done {name}");
        }
        for (name, levels) in &self.hints {
            let _ = writeln!(text, "hints {name} {levels}");
        }
        write_atomically(&self.path, text.as_bytes())
    }
}

fn parse(path: &Path, text: &str) -> Parsed {
    let mut progress = Progress::empty(path);
    let mut bad_lines = Vec::new();
    let foreign = !text.trim_start().starts_with(HEADER);
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let understood = match words.as_slice() {
            ["done", name] if is_name(name) => {
                progress.mark_done(name);
                true
            }
            ["current", name] if is_name(name) => {
                progress.current = Some((*name).to_owned());
                true
            }
            ["hints", name, levels] if is_name(name) => match levels.parse() {
                Ok(levels) => {
                    progress.hints.insert((*name).to_owned(), levels);
                    true
                }
                Err(_) => false,
            },
            _ => false,
        };
        if !understood {
            bad_lines.push(index + 1);
        }
    }
    Parsed {
        progress,
        foreign,
        bad_lines,
    }
}

fn is_name(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Copies a damaged file next to itself so nothing in it is lost.
fn keep_aside(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut backup = path.as_os_str().to_owned();
    backup.push(format!(".corrupt-{stamp}"));
    let backup = PathBuf::from(backup);
    write_atomically(&backup, bytes)?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_in(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_missing_file_is_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let (progress, notice) = Progress::load(&dir.path().join(STATE_FILE)).unwrap();
        assert!(notice.is_none());
        assert!(!progress.is_done("a"));
    }

    #[test]
    fn renamed_and_removed_exercises_lose_their_marks_on_disk_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_in(
            &dir,
            &format!("{HEADER}\ncurrent b\ndone a\ndone b\nhints a 2\nhints b 1\n"),
        );
        let (mut progress, _) = Progress::load(&path).unwrap();
        progress.rename("a", "a2");
        progress.forget("b");
        progress.save().unwrap();
        let (again, _) = Progress::load(&path).unwrap();
        assert!(again.is_done("a2") && !again.is_done("a") && !again.is_done("b"));
        assert_eq!(again.hints_shown("a2"), 2);
        assert_eq!(again.chosen(), None);
        assert!(!again.mentions("b") && !again.mentions("a"));
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        let (mut progress, _) = Progress::load(&path).unwrap();
        progress.mark_done("intro1_await");
        progress.choose("wakers1_parcel");
        progress.set_hints_shown("wakers1_parcel", 2);
        progress.save().unwrap();
        let (again, notice) = Progress::load(&path).unwrap();
        assert!(notice.is_none());
        assert_eq!(again, progress);
    }

    #[test]
    fn a_damaged_file_keeps_every_readable_done_mark_and_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_in(
            &dir,
            &format!("{HEADER}\ndone a\n\u{0}\u{1}garbage\ndone b\nhints a x\n"),
        );
        let (progress, notice) = Progress::load(&path).unwrap();
        let notice = notice.unwrap();
        assert!(
            notice.contains("2 unreadable lines, first at line 3"),
            "{notice}"
        );
        assert!(notice.contains("kept 2 done marks"), "{notice}");
        assert!(progress.is_done("a") && progress.is_done("b"));
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(backups.len(), 1);
        // Repaired on disk: the next load is quiet.
        assert!(Progress::load(&path).unwrap().1.is_none());
    }

    #[test]
    fn a_foreign_file_is_reported_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_in(&dir, "{\"done\": [\"a\"]}");
        let (progress, notice) = Progress::load(&path).unwrap();
        assert!(
            notice
                .unwrap()
                .contains("was not an asynclings progress file")
        );
        assert!(!progress.is_done("a"));
    }

    #[test]
    fn a_failed_grade_takes_back_the_done_mark_on_disk_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        let (mut progress, _) = Progress::load(&path).unwrap();
        progress.mark_done("a");
        progress.mark_done("b");
        progress.save().unwrap();
        assert!(progress.mark_not_done("a"));
        assert!(!progress.mark_not_done("a"));
        progress.save().unwrap();
        let (again, _) = Progress::load(&path).unwrap();
        assert!(!again.is_done("a") && again.is_done("b"));
    }

    #[test]
    fn a_symlinked_progress_file_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        let link = dir.path().join(STATE_FILE);
        std::fs::write(
            &target,
            format!(
                "{HEADER}
done a
"
            ),
        )
        .unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (mut progress, _) = Progress::load(&link).unwrap();
        progress.mark_done("b");
        progress.save().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(text.contains("done a") && text.contains("done b"), "{text}");
    }

    #[test]
    fn saving_merges_marks_written_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        let (mut first, _) = Progress::load(&path).unwrap();
        let (mut second, _) = Progress::load(&path).unwrap();
        first.mark_done("a");
        first.save().unwrap();
        second.mark_done("b");
        second.save().unwrap();
        let (merged, _) = Progress::load(&path).unwrap();
        assert!(merged.is_done("a") && merged.is_done("b"));
    }
}
