//! What a stuck check was still waiting for: named probes and timeline lanes, listed in the
//! would-hang and watchdog verdicts ("still waiting on: `fetch c` (timeline lane, started at
//! 1.0 s, never finished)").
//!
//! [`crate::watchdog::Probes`] and [`crate::timeline::Timeline`] made inside a
//! [`crate::runtime::Run`] register themselves with it; ones made outside are passed with
//! `Run::naming` / `Watchdog::naming`.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// Something that can say which of its operations are still pending.
pub trait StillPending: Send + Sync {
    /// One description per pending operation, oldest first. `real_time`: whether real-time
    /// durations mean anything (a watchdog that waited) or not (the would-hang oracle, which
    /// decides in microseconds of virtual time).
    fn still_pending(&self, real_time: bool) -> Vec<String>;
}

/// The sources of one run.
#[derive(Clone, Default)]
pub(crate) struct PendingSources {
    sources: Arc<Mutex<Vec<Box<dyn StillPending>>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<PendingSources>> = const { RefCell::new(None) };
}

impl PendingSources {
    pub fn add(&self, source: Box<dyn StillPending>) {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(source);
    }

    /// Everything still pending, in the order the sources were added.
    pub fn describe(&self, real_time: bool) -> Vec<String> {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|s| s.still_pending(real_time))
            .collect()
    }

    /// Sources made on this thread register here until the guard is dropped.
    pub fn enter(&self) -> Entered {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        Entered { previous }
    }

    /// For `on_thread_start`: sources made on the runtime's other threads register here too.
    pub fn thread_start_hook(&self) -> impl Fn() + Send + Sync + 'static {
        let sources = self.clone();
        move || CURRENT.with(|c| *c.borrow_mut() = Some(sources.clone()))
    }
}

/// Restores the thread's previous run when dropped.
pub(crate) struct Entered {
    previous: Option<PendingSources>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Registers `source` with the run this thread belongs to, if any.
pub(crate) fn register(source: impl StillPending + 'static) {
    let _ = CURRENT.try_with(|c| {
        if let Ok(current) = c.try_borrow()
            && let Some(sources) = current.as_ref()
        {
            sources.add(Box::new(source));
        }
    });
}

/// "; still waiting on: a, b" (empty if nothing is pending).
pub(crate) fn waiting_on(pending: &[String]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!("; still waiting on: {}", pending.join(", "))
    }
}
