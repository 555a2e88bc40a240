//! Helpers for asynclings' hidden grader tests.
//!
//! Graders are ordinary `#[test]` / `#[tokio::test]` functions. These helpers turn the classic
//! async mistakes into failures that *name* the mistake, so a learner reads "returned Pending
//! but kept no waker" instead of "assertion failed: left == right". Every verdict names the
//! mistake, gives a measured figure and the direction of the fix.
//!
//! | mistake | helper |
//! |---|---|
//! | blocking, stalls and busy loops anywhere on the runtime | [`runtime::Run`] by default ([`health`]); [`health::watch_runtime`] in a `#[tokio::test]` |
//! | a stall worded by the grader (did another task run meanwhile?) | [`heartbeat::Heartbeat`], [`site::check_stints`] |
//! | blocking inside one future, measured | [`blocking::watch_polls`], [`blocking::Ticker`], [`poll::poll_timed`] |
//! | an operation waited for inside one poll (a block_on in async code), without timing | [`same_poll::WaitInOnePoll`] |
//! | a poll made by hand that never returns | every hand poll, by default ([`guard`]) |
//! | wakers: none kept, never woken, self-wake, stale | [`handpoll::HandPoll`], [`wakers::CountingWaker`] |
//! | woke the task before the result was stored | [`eager::EagerPoll`] |
//! | a future that can never complete | [`runtime::Run::would_hang_after`], [`runtime::settle`] |
//! | sequential where concurrent was meant, bounded concurrency | [`timeline::Timeline`] |
//! | cancelled (dropped while pending) or left running | [`watchdog::Probes`] outcomes |
//! | rayon: not parallel, CPU work on the runtime, blocking in the pool | [`parallel`] |
//! | parallel results gathered as they finished, per worker, or pieces swapped | [`order::HoldBack`] |
//! | deadlocks and blocked threads | [`watchdog::Watchdog`], [`watchdog::Probes`], [`runtime::Run`] |
//! | panics in spawned tasks | [`panics::TaskPanics`] (built into [`runtime::Run`]) |
//!
//! See `docs/instructors.md` for which helper fits which mistake, with an example each.

pub mod blocking;
pub mod cpu;
pub mod eager;
pub mod guard;
pub mod handpoll;
pub mod health;
pub mod heartbeat;
pub mod order;
pub mod panics;
pub mod parallel;
pub mod pending;
pub mod poll;
pub mod runtime;
pub mod same_poll;
pub mod site;
pub mod sync;
pub mod timeline;
pub mod units;
pub mod wakers;
pub mod watchdog;

/// Everything a grader usually needs, in one import.
pub mod prelude {
    pub use crate::blocking::{
        BLOCKING_FIX, BLOCKING_POLL, PollStopwatch, RUNTIME_STALL, Ticker, blocking_poll_verdict,
        watch_polls,
    };
    pub use crate::eager::EagerPoll;
    pub use crate::guard::HUNG;
    pub use crate::handpoll::{HandPoll, follow_wakes};
    pub use crate::health::{RUNTIME_BUSY, RuntimeWatch, Stuck, watch_runtime};
    pub use crate::heartbeat::{Heartbeat, Ping};
    pub use crate::order::{HoldBack, Misorder, pieces_swapped, runs};
    pub use crate::panics::{TaskPanics, explain_tokio_panic, panic_message};
    pub use crate::parallel::{Placement, Rendezvous, cpu_while, mark_runtime_thread};
    pub use crate::pending::StillPending;
    pub use crate::poll::{PollTiming, poll_once, poll_timed};
    pub use crate::runtime::{Run, Settled, paused_clock, real_clock, settle};
    pub use crate::same_poll::{WaitInOnePoll, mark_polls};
    pub use crate::sync::{Gate, GatedJobs, wait_until};
    pub use crate::timeline::{Expected, Span, Timeline};
    pub use crate::units::{format_duration, format_seconds, polled_times};
    pub use crate::wakers::CountingWaker;
    pub use crate::watchdog::{DEADLOCK, ProbeOutcome, Probes, Watchdog, run_with_watchdog};
}
