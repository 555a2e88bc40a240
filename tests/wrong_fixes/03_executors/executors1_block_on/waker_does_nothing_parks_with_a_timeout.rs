//! Wrong fix: leaves the waker empty and parks with a 100 ms timeout, so that `block_on` never
//! hangs: the future is polled ten times a second whether or not anything woke it, and a
//! wake-up is answered only by the next timeout.
// expect fail: waking the waker did not unpark block_on's thread
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

/// The waker `block_on` hands to the future it runs.
struct Unparker;

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {}
}

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park_timeout(Duration::from_millis(100));
    }
}
