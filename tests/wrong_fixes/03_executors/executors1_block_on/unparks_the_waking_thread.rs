//! Wrong fix: the waker unparks `thread::current()`, which inside `wake` is the thread that
//! wakes the future (an I/O thread), not the one parked in `block_on`. Yields still work,
//! since they wake from `block_on`'s own thread.
// expect fail: unparked the thread that called it
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

/// The waker `block_on` hands to the future it runs.
struct Unparker;

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        thread::current().unpark();
    }
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
        thread::park();
    }
}
