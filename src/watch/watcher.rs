//! Watching the exercise files. Directories are watched, not files (editors that save by
//! rename replace the file's inode), only `exercises/` (never `target/`), and events are
//! debounced per file, so the bursts editors make for one save (vim's backup and rename,
//! JetBrains' safe write, nano's truncate-and-write) become one `Saved`. Paths that are not
//! exercise files (swap files, `4913`, `file~`, emacs' `.#file`) are dropped.
//!
//! The debouncing is ours, on raw notify events, for two reasons: notify reports every *open*
//! of a file, so a debouncer that cannot filter by kind (notify-debouncer-mini) regrades each
//! time rustc or an editor merely reads the exercise; and notify-debouncer-full wakes up on a
//! timer even when nothing happens, while this loop sleeps until an event or a deadline.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::event::Event;
use crate::course::Course;

/// Quiet time after the last write to a file before it counts as saved. Editors finish a save
/// within a few milliseconds; this is the watcher's whole share of save-to-verdict.
const DEBOUNCE: Duration = Duration::from_millis(40);

/// Starts watching; events flow until the returned watcher is dropped.
pub fn start(course: &Course, events: Sender<Event>) -> Result<RecommendedWatcher> {
    let files: HashMap<PathBuf, usize> = course
        .exercises
        .iter()
        .enumerate()
        .map(|(index, exercise)| (course.path(&exercise.file()), index))
        .collect();
    let (raw_events, raw) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = raw_events.send(event);
    })
    .context("cannot start the file watcher")?;
    let folder = course.root.join("exercises");
    watcher
        .watch(&folder, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", folder.display()))?;
    thread::spawn(move || debounce(&raw, &files, &events));
    Ok(watcher)
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
    files: &HashMap<PathBuf, usize>,
    events: &Sender<Event>,
) {
    let mut due: HashMap<usize, Instant> = HashMap::new();
    loop {
        let received = match due.values().min() {
            Some(deadline) => raw.recv_timeout(deadline.saturating_duration_since(Instant::now())),
            // Nothing pending: sleep until the next event, however long that is.
            None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(Ok(event)) if is_write(&event.kind) => {
                for index in event.paths.iter().filter_map(|path| files.get(path)) {
                    due.insert(*index, Instant::now() + DEBOUNCE);
                }
            }
            Ok(Ok(_)) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Err(error)) => {
                let _ = events.send(Event::WatchFailed(error.to_string()));
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        due.retain(|&index, deadline| {
            if *deadline > now {
                return true;
            }
            let _ = events.send(Event::Saved(index));
            false
        });
    }
}
