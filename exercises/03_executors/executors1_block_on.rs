//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async. Pulling in a whole runtime to wait for one transfer is overkill: `block_on`
//! runs one future to completion on the calling thread, and that is all an executor is.
//!
//! An executor polls the future; when it answers `Pending`, the executor sleeps until the
//! future's waker is woken, then polls again. `block_on` sleeps by parking its own thread
//! (`std::thread::park`), so the waker it hands to the future must *unpark* that thread.
//! Right now the waker does nothing at all.
//!
//! Done when: `block_on` returns the future's output; after a `Pending` poll its thread sleeps
//! (parked, not spinning) until the waker is woken, from any thread, and then polls again; a
//! wake-up that comes while the future is still being polled is not lost.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

/// The waker `block_on` hands to the future it runs.
struct Unparker {
    // TODO: which thread must a wake-up reach? Remember it here.
}

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        // TODO: a wake-up must end the `thread::park` in `block_on`.
    }
}

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker {}));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Nothing to do until the waker is woken: sleep until then. (`park` may also return
        // for no reason, a spurious wake-up; polling once more is harmless.)
        thread::park();
    }
}
