//! Watching the exercise files. Directories are watched, not files (editors that save by
//! rename replace the file's inode), only `exercises/` (never `target/`), and events are
//! debounced, so the bursts editors make for one save (vim's backup and rename, JetBrains' safe
//! write, nano's truncate-and-write) become one `Saved`. Paths that are not exercise files
//! (swap files, `4913`, `file~`, emacs' `.#file`) are dropped.
//!
//! Three things keep watch from going deaf:
//! - the course folder itself is watched too (not recursively), so when `exercises/` is
//!   deleted and created again (a `git checkout`, a stash) the watch on it is re-armed, and
//!   every exercise file then present counts as saved;
//! - an exercise file that is a symbolic link is watched where it leads as well, so a write to
//!   its target (or through the link) is a save of the exercise;
//! - writes to several exercises within one debounce window are one `Saved` naming them all,
//!   which the app loop treats as a burst (it keeps the learner on their exercise).
//!
//! A save does not wait for the whole debounce when it need not: when the writer closes an
//! exercise file (or renames a new version into place) and nothing else was written in the
//! burst, that file's content is complete, and the watcher says `Written` at once; the app loop
//! starts grading then, and the debounced `Saved` that follows either confirms that grade (no
//! write since) or replaces it. The debounce then costs the verdict nothing in the usual case.
//!
//! The debouncing is ours, on raw notify events, for two reasons: notify reports every *open*
//! of a file, so a debouncer that cannot filter by kind (notify-debouncer-mini) regrades each
//! time rustc or an editor merely reads the exercise; and notify-debouncer-full wakes up on a
//! timer even when nothing happens, while this loop sleeps until an event or a deadline.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::event::Event;
use crate::course::Course;

/// Quiet time after the last write before the files written count as saved. Editors finish a
/// save within a few milliseconds; this is the watcher's whole share of save-to-verdict.
const DEBOUNCE: Duration = Duration::from_millis(40);

/// A stream of writes that never pauses is still reported this often.
const LONGEST_BURST: Duration = Duration::from_secs(1);

/// Starts watching; events flow until the app loop stops receiving them.
pub fn start(course: &Course, events: Sender<Event>) -> Result<()> {
    let (raw_events, raw) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = raw_events.send(event);
    })
    .context("cannot start the file watcher")?;
    let folder = course.root.join("exercises");
    watcher
        .watch(&folder, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", folder.display()))?;
    watcher
        .watch(&course.root, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", course.root.display()))?;
    let exercises = course
        .exercises
        .iter()
        .map(|exercise| course.path(&exercise.file()))
        .collect();
    let mut files = Files {
        exercises,
        folder,
        watcher,
        by_path: HashMap::new(),
        link_dirs: HashSet::new(),
    };
    files.refresh();
    thread::spawn(move || debounce(&raw, &mut files, &events));
    Ok(())
}

/// The watched paths and which exercise each one is.
struct Files {
    /// Each exercise's file, by index.
    exercises: Vec<PathBuf>,
    /// `exercises/`.
    folder: PathBuf,
    watcher: RecommendedWatcher,
    by_path: HashMap<PathBuf, usize>,
    /// Folders outside `exercises/` watched because a linked exercise file leads there.
    link_dirs: HashSet<PathBuf>,
}

impl Files {
    /// Maps every exercise file, and where it leads if it is a link, to its exercise; watches
    /// the folders links lead to.
    fn refresh(&mut self) {
        self.by_path.clear();
        for (index, path) in self.exercises.iter().enumerate() {
            self.by_path.insert(path.clone(), index);
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            let Some(target) = is_link.then(|| path.canonicalize().ok()).flatten() else {
                continue;
            };
            self.by_path.insert(target.clone(), index);
            if let Some(dir) = target.parent().filter(|d| !d.starts_with(&self.folder))
                && self.link_dirs.insert(dir.to_owned())
            {
                let _ = self.watcher.watch(dir, RecursiveMode::NonRecursive);
            }
        }
    }

    /// Watches `exercises/` again (after it was removed or replaced); true if it exists now.
    fn rearm(&mut self) -> bool {
        let _ = self.watcher.unwatch(&self.folder);
        self.watcher
            .watch(&self.folder, RecursiveMode::Recursive)
            .is_ok()
    }

    /// Whether `path` is `exercises/` itself (an event on it: deleted, created, renamed).
    fn is_folder(&self, path: &Path) -> bool {
        path == self.folder
    }
}

/// Whether an event can mean new content: reads (open, close after reading) cannot.
fn is_write(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        _ => false,
    }
}

/// Whether `event` leaves the file at `path` complete: its writer closed it, or a rename put a
/// new version in its place.
fn completes(event: &notify::Event, path: &Path) -> bool {
    let kind_completes = matches!(
        event.kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To))
    );
    kind_completes && event.paths.iter().any(|p| p == path)
}

/// inotify reports a rename within the watched folders three times: `From` the old path, `To`
/// the new one, then `Both`. The third says nothing new, and counted as one more write it would
/// undo the save it completes.
fn is_repeat(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
}

/// One burst of writes, from its first event to the debounced `Saved`: which exercises were
/// written, and whether an early `Written` went out and still holds. Pure: the loop below feeds
/// it events and sends what it returns.
#[derive(Debug, Default)]
struct Burst {
    touched: BTreeSet<usize>,
    /// Folders were (re)created: every exercise file present at the end counts as saved.
    sweep: bool,
    /// The exercise a `Written` named in this burst.
    written: Option<usize>,
    /// Something was written after that `Written`.
    written_since: bool,
}

impl Burst {
    /// Exercise `index` was written; `complete` when this event leaves it complete. Returns
    /// the exercise to announce as `Written` now, if any: the first completed file of a burst
    /// that so far wrote only that file.
    fn wrote(&mut self, index: usize, complete: bool) -> Option<usize> {
        self.touched.insert(index);
        if self.written.is_some() {
            self.written_since = true;
            return None;
        }
        let alone = !self.sweep && self.touched.len() == 1;
        (complete && alone).then(|| {
            self.written = Some(index);
            index
        })
    }

    /// Folders were (re)created in this burst.
    fn swept(&mut self) {
        self.sweep = true;
        if self.written.is_some() {
            self.written_since = true;
        }
    }

    /// The burst is over: the exercises saved (with `present` deciding a sweep), and whether a
    /// grade started at the `Written` saw the final content of the only file saved.
    fn finish(self, present: impl Fn(usize) -> bool, exercises: usize) -> (Vec<usize>, bool) {
        let mut touched = self.touched;
        if self.sweep {
            touched.extend((0..exercises).filter(|&i| present(i)));
        }
        let saved: Vec<usize> = touched.into_iter().collect();
        let confirmed =
            !self.written_since && self.written.is_some_and(|written| saved == [written]);
        (saved, confirmed)
    }
}

fn debounce(
    raw: &Receiver<notify::Result<notify::Event>>,
    files: &mut Files,
    events: &Sender<Event>,
) {
    let mut burst = Burst::default();
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    loop {
        let received = match first {
            Some(first) => {
                let due = (last + DEBOUNCE).min(first + LONGEST_BURST);
                raw.recv_timeout(due.saturating_duration_since(Instant::now()))
            }
            // Nothing pending: sleep until the next event, however long that is.
            None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(Ok(event)) if is_write(&event.kind) && !is_repeat(&event.kind) => {
                let mut hit = false;
                if event.paths.iter().any(|p| files.is_folder(p)) && files.rearm() {
                    burst.swept();
                    hit = true;
                }
                // Files written into a new folder before notify watched it made no event.
                if matches!(event.kind, EventKind::Create(_))
                    && event
                        .paths
                        .iter()
                        .any(|p| p.starts_with(&files.folder) && p.is_dir())
                {
                    burst.swept();
                    hit = true;
                }
                let written: Vec<(usize, bool)> = event
                    .paths
                    .iter()
                    .filter_map(|p| files.by_path.get(p).map(|&i| (i, completes(&event, p))))
                    .collect();
                for (index, complete) in written {
                    hit = true;
                    if let Some(index) = burst.wrote(index, complete)
                        && events.send(Event::Written(index)).is_err()
                    {
                        return;
                    }
                }
                if hit {
                    last = Instant::now();
                    first.get_or_insert(last);
                }
            }
            Ok(Ok(_)) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Err(error)) => {
                if events.send(Event::WatchFailed(error.to_string())).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let due = first.is_some_and(|first| now >= last + DEBOUNCE || now >= first + LONGEST_BURST);
        if due {
            // A link may have been replaced by the save (or a file by a link): map them again.
            files.refresh();
            let (saved, confirmed) = std::mem::take(&mut burst)
                .finish(|i| files.exercises[i].exists(), files.exercises.len());
            first = None;
            if events
                .send(Event::Saved {
                    files: saved,
                    confirmed,
                })
                .is_err()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    fn event(kind: EventKind, paths: &[&str]) -> notify::Event {
        let mut event = notify::Event::new(kind);
        event.paths = paths.iter().map(PathBuf::from).collect();
        event
    }

    const FILE: &str = "/course/exercises/00_intro/intro1.rs";

    #[test]
    fn a_close_after_writing_or_a_rename_into_place_completes_a_file() {
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(completes(&event(closed, &[FILE]), Path::new(FILE)));
        let moved_in = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert!(completes(&event(moved_in, &[FILE]), Path::new(FILE)));
        // Renamed away (vim's backup), created empty, written to: not complete yet.
        let moved_out = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        assert!(!completes(&event(moved_out, &[FILE]), Path::new(FILE)));
        let created = EventKind::Create(CreateKind::File);
        assert!(!completes(&event(created, &[FILE]), Path::new(FILE)));
        let data = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert!(!completes(&event(data, &[FILE]), Path::new(FILE)));
        let removed = EventKind::Remove(RemoveKind::File);
        assert!(!completes(&event(removed, &[FILE]), Path::new(FILE)));
        // Another file closed.
        assert!(!completes(
            &event(closed, &["/course/exercises/b.rs"]),
            Path::new(FILE)
        ));
    }

    #[test]
    fn the_third_report_of_a_rename_is_a_repeat() {
        assert!(is_repeat(&EventKind::Modify(ModifyKind::Name(
            RenameMode::Both
        ))));
        assert!(!is_repeat(&EventKind::Modify(ModifyKind::Name(
            RenameMode::To
        ))));
        assert!(!is_repeat(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
    }

    #[test]
    fn a_single_file_closed_after_writing_is_written_at_once_and_confirmed() {
        let mut burst = Burst::default();
        assert_eq!(
            burst.wrote(3, false),
            None,
            "truncated and written: not complete"
        );
        assert_eq!(burst.wrote(3, true), Some(3), "closed: complete");
        assert_eq!(burst.finish(|_| true, 10), (vec![3], true));
    }

    #[test]
    fn a_write_after_the_written_file_closed_unconfirms_it() {
        let mut burst = Burst::default();
        assert_eq!(burst.wrote(3, true), Some(3));
        assert_eq!(burst.wrote(3, false), None);
        assert_eq!(burst.wrote(3, true), None, "one Written per burst");
        assert_eq!(burst.finish(|_| true, 10), (vec![3], false));
    }

    #[test]
    fn a_burst_over_several_files_is_never_confirmed() {
        // A checkout: the first file closes before the others are written.
        let mut burst = Burst::default();
        assert_eq!(burst.wrote(3, true), Some(3));
        assert_eq!(burst.wrote(4, true), None);
        assert_eq!(burst.finish(|_| true, 10), (vec![3, 4], false));
        // The second file of a burst is never announced early.
        let mut burst = Burst::default();
        assert_eq!(burst.wrote(4, false), None);
        assert_eq!(burst.wrote(3, true), None);
        assert_eq!(burst.finish(|_| true, 10), (vec![3, 4], false));
    }

    #[test]
    fn a_recreated_folder_saves_every_present_file_and_confirms_nothing() {
        let mut burst = Burst::default();
        assert_eq!(burst.wrote(1, true), Some(1));
        burst.swept();
        assert_eq!(burst.finish(|i| i != 2, 4), (vec![0, 1, 3], false));
        let mut burst = Burst::default();
        burst.swept();
        assert_eq!(burst.wrote(1, true), None, "no early grade in a sweep");
    }

    #[test]
    fn a_burst_without_a_complete_file_saves_it_unconfirmed() {
        let mut burst = Burst::default();
        assert_eq!(burst.wrote(2, false), None);
        assert_eq!(burst.finish(|_| true, 10), (vec![2], false));
    }
}
