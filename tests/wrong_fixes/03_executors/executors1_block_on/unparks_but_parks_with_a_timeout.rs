//! Wrong fix: the waker unparks `block_on`'s thread as it should, but `block_on` parks with a
//! 250 ms timeout "in case a wake-up gets lost", so a future nobody woke is polled four times
//! a second anyway: polling on a timer, which would also hide a future that never wakes.
// expect fail: block_on polls the future without being woken
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

/// The waker `block_on` hands to the future it runs.
struct Unparker {
    sleeper: Thread,
}

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
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
        // Sleep, but not forever, just in case a wake-up gets lost.
        thread::park_timeout(Duration::from_millis(250));
    }
}
