//! Wrong fix: pins the inner future properly, but runs it to completion inside poll with
//! futures::executor::block_on, so poll never returns Pending and blocks its thread.
// expect fail: had not returned after
//! A stopwatch for futures.
//!
//! `Timed::new(op)` wraps any future `op`. Awaiting the `Timed` runs `op` to completion and
//! hands back its output together with how long it took. The clock starts at the first poll,
//! not in `new`: a future does nothing until somebody polls it.
//!
//! A wrapper like this must poll the future it wraps, and `Future::poll` only accepts
//! `self: Pin<&mut Self>`. All `Timed::poll` gets is a `Pin<&mut Timed<F>>`: from it, you
//! must reach a `Pin<&mut F>` for the inner future, without ever moving that future.
//!
//! Done when: this compiles, `Timed` works around *any* future (also `async` blocks, which
//! are not `Unpin`), and the grader's checks pass.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

// tokio's `Instant` reads tokio's clock, which a test can pause and move forward at will.
use tokio::time::Instant;

pin_project_lite::pin_project! {
    // Once a `Timed` is pinned, `inner` is pinned too ("structural pinning"): it may be an
    // `async` block holding references into itself, so it must never move again. The macro
    // generates `project()`, which splits `Pin<&mut Timed<F>>` into a `Pin<&mut F>` for the
    // marked field and plain `&mut` for the others, and it refuses to generate anything
    // (like an `Unpin` impl or a `Drop` that moves fields) that would break that promise.
    //
    // Another safe way: store `inner: Pin<Box<F>>` (made with `Box::pin` in `new`). The
    // future then lives on the heap and never moves, `Timed` itself becomes `Unpin`, and
    // `self.inner.as_mut().poll(cx)` works, at the cost of one allocation.
    pub struct Timed<F> {
        #[pin]
        inner: F,
        started: Option<Instant>,
    }
}

impl<F> Timed<F> {
    pub fn new(inner: F) -> Self {
        Timed {
            inner,
            started: None,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = (F::Output, Duration);

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let started = *this.started.get_or_insert_with(Instant::now);
        // Drive the inner future to the end right here: no Pending to deal with.
        let output = futures::executor::block_on(this.inner);
        Poll::Ready((output, started.elapsed()))
    }
}
