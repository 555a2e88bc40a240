//! A task on the runtime under test that answers pings, for graders that word a stall in
//! their own terms ("rendering an invoice ran on the runtime's thread, inside the task that
//! awaited it, and another task, ready the whole time, could not run once").
//!
//! The grader's work (a blocking call it hands to the learner's code) pings the heartbeat and
//! waits, on its own thread, for the answer. The answer can only come if the runtime ran
//! another task meanwhile: a fact, not a timing; the patience only bounds how long a stalled
//! runtime is given. `Run`'s own heartbeat does the same for its default verdicts; this one is
//! for graders that opt out of those (`allow_blocking`) because they name the stall themselves.
//!
//! ```
//! # use std::time::Duration;
//! # use asynclings_grading::prelude::*;
//! let (blocked, polite) = real_clock()
//!     .allow_blocking("the check names the stall itself, with a Heartbeat")
//!     .run(|| async {
//!         let heartbeat = Heartbeat::started().await;
//!         // Known bad: the grader's work runs inside the task: nothing else can run.
//!         let blocked = !heartbeat.answered_within(Duration::from_millis(200));
//!         // Known good: the same work on the blocking pool, awaited.
//!         let beat = heartbeat.clone();
//!         let polite = tokio::task::spawn_blocking(move || {
//!             beat.answered_within(Duration::from_secs(2))
//!         })
//!         .await
//!         .unwrap();
//!         (blocked, polite)
//!     });
//! assert!(blocked && polite);
//! ```

use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::sync::Gate;

/// Work the heartbeat task runs when it gets its turn.
pub type Ping = Box<dyn FnOnce() + Send>;

/// A heartbeat task on a runtime; cheap to clone.
#[derive(Clone)]
pub struct Heartbeat {
    pings: mpsc::UnboundedSender<Ping>,
    /// The threads the heartbeat task ran on: the runtime's (worker) threads.
    threads: Arc<Mutex<Vec<ThreadId>>>,
}

impl Heartbeat {
    /// Spawns the heartbeat task on the current tokio runtime (panics outside one).
    pub fn start() -> Self {
        let (pings, mut inbox) = mpsc::unbounded_channel::<Ping>();
        let threads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&threads);
        tokio::spawn(async move {
            while let Some(ping) = inbox.recv().await {
                let here = thread::current().id();
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                if !seen.contains(&here) {
                    seen.push(here);
                }
                drop(seen);
                ping();
            }
        });
        Heartbeat { pings, threads }
    }

    /// [`Heartbeat::start`], then waits for its first beat: from then on,
    /// [`Heartbeat::ran_on_this_thread`] knows at least one runtime thread.
    pub async fn started() -> Self {
        let heartbeat = Self::start();
        let (beat, first_beat) = oneshot::channel();
        heartbeat.send(Box::new(move || {
            let _ = beat.send(());
        }));
        let _ = first_beat.await;
        heartbeat
    }

    /// Has the heartbeat task run `ping` at its next turn; false if the task is gone (its
    /// runtime was dropped).
    pub fn send(&self, ping: Ping) -> bool {
        self.pings.send(ping).is_ok()
    }

    /// Asks the heartbeat task to run; the returned gate opens when it has (its waiters give up
    /// after `patience`). For work that keeps computing while it waits for the answer.
    pub fn ping(&self, patience: Duration) -> Arc<Gate> {
        let gate = Gate::new(patience);
        let opened = Arc::clone(&gate);
        self.send(Box::new(move || opened.open()));
        gate
    }

    /// Blocks the calling thread until the heartbeat task has run (true) or `patience` is over
    /// (false): whether the runtime ran another task while this thread waited.
    pub fn answered_within(&self, patience: Duration) -> bool {
        let gate = self.ping(patience);
        gate.wait()
    }

    /// Whether the heartbeat task has run on the calling thread: it is one of the runtime's
    /// threads (a worker, or the thread driving a current-thread runtime).
    pub fn ran_on_this_thread(&self) -> bool {
        let threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        threads.contains(&thread::current().id())
    }
}
