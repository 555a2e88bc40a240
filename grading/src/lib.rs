//! Helpers for asynclings' hidden grader tests.
//!
//! Graders are ordinary `#[test]` / `#[tokio::test]` functions. These helpers turn the classic
//! async mistakes into failures that *name* the mistake, so a learner reads "returned Pending
//! but kept no waker" instead of "assertion failed: left == right". Every verdict names the
//! mistake, gives a measured figure and the direction of the fix.
//!
//! | mistake | helper |
//! |---|---|
//! | blocking inside async code | [`blocking::watch_polls`], [`blocking::Ticker`], [`poll::poll_timed`] |
//! | wakers: none kept, never woken, self-wake, stale | [`handpoll::HandPoll`], [`wakers::CountingWaker`] |
//! | a future that can never complete | [`runtime::Run::would_hang_after`], [`runtime::settle`] |
//! | sequential where concurrent was meant | [`timeline::Timeline`] |
//! | rayon: not parallel, CPU work on the runtime, blocking in the pool | [`parallel`] |
//! | deadlocks and blocked threads | [`watchdog::Watchdog`], [`watchdog::Probes`], [`runtime::Run`] |
//! | panics in spawned tasks | [`panics::TaskPanics`] (built into [`runtime::Run`]) |
//!
//! See `docs/instructors.md` for which helper fits which mistake, with an example each.

pub mod blocking;
pub mod cpu;
pub mod handpoll;
pub mod panics;
pub mod parallel;
pub mod poll;
pub mod runtime;
pub mod sync;
pub mod timeline;
pub mod wakers;
pub mod watchdog;

/// Everything a grader usually needs, in one import.
pub mod prelude {
    pub use crate::blocking::{
        BLOCKING_FIX, BLOCKING_POLL, PollStopwatch, RUNTIME_STALL, Ticker, blocking_poll_verdict,
        watch_polls,
    };
    pub use crate::handpoll::{HandPoll, follow_wakes};
    pub use crate::panics::{TaskPanics, explain_tokio_panic, panic_message};
    pub use crate::parallel::{Placement, Rendezvous, cpu_while, mark_runtime_thread};
    pub use crate::poll::{PollTiming, poll_once, poll_timed};
    pub use crate::runtime::{Run, Settled, paused_clock, real_clock, settle};
    pub use crate::sync::{Gate, GatedJobs, wait_until};
    pub use crate::timeline::{Expected, Timeline};
    pub use crate::wakers::CountingWaker;
    pub use crate::watchdog::{DEADLOCK, Probes, Watchdog, run_with_watchdog};
}
