//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async. Pulling in a whole runtime to wait for one transfer is overkill: `block_on`
//! runs one future to completion on the calling thread, and that is all an executor is.
//!
//! An executor polls the future; when it answers `Pending`, the executor sleeps until the
//! future's waker is woken, then polls again. `block_on` sleeps by parking its own thread
//! (`std::thread::park`), so the waker it hands to the future must *unpark* that thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// The waker `block_on` hands to the future it runs.
struct Unparker {
    /// The thread running `block_on`. It must be captured there: inside `wake`,
    /// `thread::current()` is whichever thread happens to wake the future (an I/O thread, a
    /// timer), not the one that sleeps.
    sleeper: Thread,
}

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    // Wakers are often woken through a reference; unparking needs no ownership.
    fn wake_by_ref(self: &Arc<Self>) {
        self.sleeper.unpark();
    }
}

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker {
        sleeper: thread::current(),
    }));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake-up may already have happened, during the poll above (a future that yields,
        // or another thread finishing just then). That is not lost: `unpark` before `park`
        // leaves a token, and this `park` then returns at once. `park` may also return
        // spuriously; polling once more is harmless, since polling is always allowed.
        thread::park();
    }
}
