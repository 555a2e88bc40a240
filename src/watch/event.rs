//! Everything the watch loop reacts to. Sources (the file watcher, the keyboard, signals,
//! grade workers) only send these; the app loop decides what they mean.

use anyhow::Result;

use crate::grade::{Grade, Phase};

pub enum Event {
    /// An exercise file's save looks complete (its writer closed it, or a rename put it in
    /// place) and it is the only file written so far: grading may start now. The debounced
    /// `Saved` of the same burst follows.
    Written(usize),
    /// Exercise files changed or disappeared (debounced): their indices in the course, in
    /// course order. Several at once are one burst (a `git checkout`, a stash, a search and
    /// replace), not a learner moving between exercises. `confirmed`: the burst was the one
    /// file its `Written` named, not written again since, so a grade started then saw its
    /// final content.
    Saved {
        files: Vec<usize>,
        confirmed: bool,
    },
    Key(Key),
    Resized,
    /// Ctrl-L: draw everything again.
    Redraw,
    /// Ctrl-Z, or SIGTSTP from elsewhere: give the terminal back and stop.
    Suspend(SuspendedBy),
    /// SIGCONT: running again after a stop.
    Resumed,
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
    /// Ctrl-C, Ctrl-D, SIGTERM, SIGHUP.
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspendedBy {
    /// Ctrl-Z read as a key in raw mode: the whole job (say, `cargo run` too) stops.
    Key,
    /// SIGTSTP from elsewhere (it reached every process of the job already).
    Signal,
}

/// A key pressed without Ctrl or Alt (those have their own meanings or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    Enter,
    Escape,
}
