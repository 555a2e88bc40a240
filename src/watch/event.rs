//! Everything the watch loop reacts to. Sources (the file watcher, the keyboard, signals,
//! grade workers) only send these; the app loop decides what they mean.

use anyhow::Result;

use crate::grade::{Grade, Phase};

pub enum Event {
    /// An exercise file changed or disappeared (debounced): its index in the course.
    Saved(usize),
    Key(Key),
    Resized,
    /// A grade in flight moved on.
    Phase {
        generation: u64,
        phase: Phase,
    },
    /// A grade finished (or failed to run, or was cancelled).
    Graded {
        generation: u64,
        result: Result<Grade>,
    },
    /// The closing verify of every exercise made progress.
    Verifying {
        done: usize,
        total: usize,
    },
    Verified(Result<Vec<Grade>>),
    /// The file watcher reported an error.
    WatchFailed(String),
    /// Ctrl-C, SIGTERM, SIGHUP.
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    Enter,
    Escape,
}
