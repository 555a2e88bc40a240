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
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
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

fn debounce(
    raw: &Receiver<notify::Result<notify::Event>>,
    files: &mut Files,
    events: &Sender<Event>,
) {
    let mut touched: BTreeSet<usize> = BTreeSet::new();
    // Whether folders were (re)created in this burst: then every exercise file present at the
    // end of it counts as saved.
    let mut sweep = false;
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
            Ok(Ok(event)) if is_write(&event.kind) => {
                let mut hit = false;
                if event.paths.iter().any(|p| files.is_folder(p)) && files.rearm() {
                    sweep = true;
                    hit = true;
                }
                // Files written into a new folder before notify watched it made no event.
                if matches!(event.kind, EventKind::Create(_))
                    && event
                        .paths
                        .iter()
                        .any(|p| p.starts_with(&files.folder) && p.is_dir())
                {
                    sweep = true;
                    hit = true;
                }
                for index in event.paths.iter().filter_map(|p| files.by_path.get(p)) {
                    touched.insert(*index);
                    hit = true;
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
            if std::mem::take(&mut sweep) {
                touched.extend((0..files.exercises.len()).filter(|&i| files.exercises[i].exists()));
            }
            let saved: Vec<usize> = std::mem::take(&mut touched).into_iter().collect();
            first = None;
            if events.send(Event::Saved(saved)).is_err() {
                return;
            }
        }
    }
}
