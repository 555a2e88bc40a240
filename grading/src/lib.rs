//! Helpers for asynclings' hidden grader tests.
//!
//! Graders are ordinary `#[test]` / `#[tokio::test]` functions. These helpers turn the classic
//! async mistakes into failures that *name* the mistake, so a learner reads "returned Pending
//! but kept no waker" instead of "assertion failed: left == right".
//!
//! See `docs/instructors.md` for which helper fits which mistake.

pub mod poll;
pub mod wakers;
pub mod watchdog;

/// Everything a grader usually needs, in one import.
pub mod prelude {
    pub use crate::poll::{PollTiming, poll_once, poll_timed};
    pub use crate::wakers::CountingWaker;
    pub use crate::watchdog::{Watchdog, run_with_watchdog};
}
