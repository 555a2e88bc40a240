//! Wrong fix: guards against spurious wake-ups with a `woken` flag, but clears it *after* the
//! poll: a wake-up that came during the poll is wiped out, and its unpark token is used up by
//! the first `park`, so the second one sleeps forever (a lost unpark).
// expect fail: lost wake-up
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// The waker `block_on` hands to the future it runs.
struct Unparker {
    sleeper: Thread,
    woken: AtomicBool,
}

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.sleeper.unpark();
    }
}

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let unparker = Arc::new(Unparker {
        sleeper: thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&unparker));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        unparker.woken.store(false, Ordering::SeqCst);
        // Park until really woken, not just spuriously.
        while !unparker.woken.load(Ordering::SeqCst) {
            thread::park();
        }
    }
}
