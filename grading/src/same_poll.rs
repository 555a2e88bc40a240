//! "Waited inside one poll" as a fact: a future that awaits an operation returns `Pending`
//! when the operation does, and is polled again after a wake-up. If the operation is polled
//! again *inside the same poll* of that future after it returned `Pending`, something in
//! between waited for it without returning to the executor: a `block_on`, a `block_in_place`
//! with a nested runtime, a spin on `now_or_never`. No timing is involved.
//!
//! Mark the polls of the outer future (the learner's) with [`mark_polls`]; wrap each poll of the
//! inner operation (the grader's) in [`WaitInOnePoll::poll`].
//!
//! ```
//! # use std::task::Poll;
//! # use futures::FutureExt;
//! # use asynclings_grading::same_poll::{WaitInOnePoll, mark_polls};
//! let watch = WaitInOnePoll::default();
//! let inside = watch.clone();
//! futures::executor::block_on(mark_polls("reload", async move {
//!     let mut pending_once = true;
//!     let mut operation = std::pin::pin!(std::future::poll_fn(|_| {
//!         inside.poll(|| if std::mem::take(&mut pending_once) { Poll::Pending } else { Poll::Ready(()) })
//!     }));
//!     // Known bad: polled again and again inside this one poll, as a block_on does.
//!     while (&mut operation).now_or_never().is_none() {}
//! }));
//! //! assert_eq!(watch.waited_in_one_poll(), Some("reload"));
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// One poll of a marked outer future: its serial number (unique in the process) and label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OuterPoll {
    serial: u64,
    pub label: &'static str,
}

thread_local! {
    /// The poll of a marked future this thread is inside, if any.
    static IN_POLL: Cell<Option<OuterPoll>> = const { Cell::new(None) };
}

/// Numbers every poll of every marked future.
static SERIAL: AtomicU64 = AtomicU64::new(0);

/// The poll of a marked future the calling thread is inside, if any (the innermost one).
pub fn current_outer_poll() -> Option<OuterPoll> {
    IN_POLL.get()
}

/// Wraps `future` so that each of its polls is marked, with `label`, on the polling thread
/// while it runs.
pub fn mark_polls<F: Future>(label: &'static str, future: F) -> MarkedPolls<F> {
    MarkedPolls {
        inner: Box::pin(future),
        label,
    }
}

/// A future made by [`mark_polls`].
pub struct MarkedPolls<F: Future> {
    inner: Pin<Box<F>>,
    label: &'static str,
}

impl<F: Future> Future for MarkedPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mark = OuterPoll {
            serial: SERIAL.fetch_add(1, Ordering::SeqCst),
            label: self.label,
        };
        let outer = IN_POLL.replace(Some(mark));
        let polled = self.inner.as_mut().poll(cx);
        IN_POLL.set(outer);
        polled
    }
}

/// Watches the polls of one operation for a wait inside one poll of a marked future; cheap to
/// clone.
#[derive(Clone, Default)]
pub struct WaitInOnePoll {
    /// The outer poll in which the operation last returned `Pending`.
    pending_in: Arc<Mutex<Option<OuterPoll>>>,
    /// The labels of the outer polls that waited, in order.
    waited: Arc<Mutex<Vec<&'static str>>>,
}

impl WaitInOnePoll {
    /// Makes one poll of the operation (`poll` polls it) and notes whether it came inside the
    /// very outer poll in which it last returned `Pending`.
    pub fn poll<T>(&self, poll: impl FnOnce() -> Poll<T>) -> Poll<T> {
        let here = current_outer_poll();
        let mut pending_in = self.pending_in.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(outer) = here.filter(|_| *pending_in == here) {
            self.waited
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(outer.label);
        }
        let polled = poll();
        *pending_in = if polled.is_pending() { here } else { None };
        polled
    }

    /// The label of the first marked future that waited for the operation inside one of its
    /// polls, if one did.
    pub fn waited_in_one_poll(&self) -> Option<&'static str> {
        self.waited
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first()
            .copied()
    }
}
