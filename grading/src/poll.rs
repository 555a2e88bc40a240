//! Polling a future by hand, one step at a time, under the process-wide guard
//! ([`crate::guard`]): a poll that never returns ends the check with the blocking verdict.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::guard::{HAND_POLL_FIX, guarded, short_type_name};

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    let fix: Arc<str> = Arc::from(HAND_POLL_FIX);
    guarded(&short_type_name::<F>(), &fix, || {
        future.poll(&mut Context::from_waker(waker))
    })
}

/// What one poll returned and how long it held the thread.
pub struct PollTiming<T> {
    pub result: Poll<T>,
    pub took: Duration,
}

/// Polls `future` once with `waker` and measures the wall-clock time the poll took.
///
/// A poll should return in microseconds; one that takes hundreds of milliseconds blocked the
/// thread (`std::thread::sleep`, blocking I/O, a long computation).
pub fn poll_timed<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> PollTiming<F::Output> {
    let started = Instant::now();
    let result = poll_once(future, waker);
    PollTiming {
        result,
        took: started.elapsed(),
    }
}
