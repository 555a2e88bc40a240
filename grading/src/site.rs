//! Where a call of the grader's blocking work ran, relative to the task that awaits the
//! learner's code, and the verdict for a call during which no other task could run.
//!
//! The grader hands the learner's code a blocking operation (a driver call, a render). Each call
//! records its [`Site`] and whether the runtime ran another task meanwhile (a
//! [`crate::heartbeat::Heartbeat`] answer): a [`Stint`]. [`check_stints`] words the first call
//! that starved the runtime by where it ran: inside the awaiting task, in another task (which
//! runs on the runtime's thread all the same), on the blocking pool but waited for without
//! yielding, or on a thread of its own but joined from async code.
//!
//! ```
//! # use std::time::Duration;
//! # use asynclings_grading::prelude::*;
//! # use asynclings_grading::site::{Awaiter, Site, Stint, check_stints};
//! let (site, pooled) = real_clock()
//!     .allow_blocking("the check names where the work ran itself")
//!     .run_spawned(|| async {
//!         let awaiter = Awaiter::default();
//!         awaiter.enter(); // first thing in the task under test
//!         let inside = awaiter.site_here();
//!         let pool = awaiter.clone();
//!         let pooled = tokio::task::spawn_blocking(move || pool.site_here()).await.unwrap();
//!         (inside, pooled)
//!     });
//! assert_eq!((site, pooled), (Site::AwaitingTask, Site::BlockingPool));
//! let starved = Stint { site, others_ran: false, held: Duration::from_millis(1200) };
//! let verdict = check_stints(&[starved], "printing a label", "use spawn_blocking").unwrap_err();
//! assert!(verdict.starts_with("printing a label ran on the runtime's thread, inside the task"));
//! ```

use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// Where a call of the grader's blocking work ran, relative to the runtime under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// Inside a poll of the task that awaited it: on a runtime thread (unless block_in_place
    /// handed that task's worker over first).
    AwaitingTask,
    /// Inside another async task: `tokio::spawn` runs it on the runtime's thread all the same.
    OtherTask,
    /// On tokio's blocking pool (`spawn_blocking`), or another thread inside the runtime.
    BlockingPool,
    /// On a thread outside the runtime (`std::thread`, rayon).
    OtherThread,
}

/// The task under test (the one that awaits the learner's code) and its thread; cheap to clone.
#[derive(Clone, Default)]
pub struct Awaiter(Arc<Mutex<Option<(tokio::task::Id, ThreadId)>>>);

impl Awaiter {
    /// Call first thing inside the task under test: a spawned task (`Run::run_spawned`, or a
    /// `tokio::spawn` of the grader's), not `block_on`'s own future (tokio panics there).
    pub fn enter(&self) {
        let me = (tokio::task::id(), thread::current().id());
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(me);
    }

    /// Where the calling code runs. Panics if [`Awaiter::enter`] was not called yet.
    pub fn site_here(&self) -> Site {
        let entered = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (task, runtime_thread) = entered.expect("the task under test has not started");
        let here = thread::current().id();
        match tokio::task::try_id() {
            Some(id) if id == task => Site::AwaitingTask,
            _ if here == runtime_thread => Site::OtherTask,
            _ if tokio::runtime::Handle::try_current().is_ok() => Site::BlockingPool,
            _ => Site::OtherThread,
        }
    }
}

/// One call of the blocking work: where it ran, whether another task ran meanwhile, and how
/// long it held its thread.
#[derive(Clone, Copy, Debug)]
pub struct Stint {
    pub site: Site,
    pub others_ran: bool,
    pub held: Duration,
}

/// `Err(verdict)` for the first call during which no other task of the runtime could run,
/// naming `work` ("the printer driver") and ending with `fix`.
pub fn check_stints(stints: &[Stint], work: &str, fix: &str) -> Result<(), String> {
    let Some(stall) = stints.iter().find(|s| !s.others_ran) else {
        return Ok(());
    };
    let held = stall.held.as_millis();
    let starved = "another task of the runtime (the grader's heartbeat, ready the whole time) \
                   could not run once";
    Err(match stall.site {
        Site::AwaitingTask => format!(
            "{work} ran on the runtime's thread, inside the task that awaited it, and blocked \
             that thread for {held} ms: {starved}; {fix}"
        ),
        Site::OtherTask => format!(
            "{work} ran in another async task, which runs on the runtime's thread all the same, \
             and blocked it for {held} ms: {starved}; {fix}"
        ),
        Site::BlockingPool => format!(
            "{work} ran on tokio's blocking pool, but the runtime's thread waited for it without \
             yielding (a block_on, or a blocking wait for the result, inside async code) for \
             {held} ms: {starved}; {fix}"
        ),
        Site::OtherThread => format!(
            "{work} ran on a thread of its own, but the runtime's thread waited for it without \
             yielding (a join, or a block_on, inside async code) for {held} ms: {starved}; {fix}"
        ),
    })
}
