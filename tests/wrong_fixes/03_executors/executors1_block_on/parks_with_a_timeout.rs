//! Wrong fix: parks, but with a timeout and a waker that does nothing, so the future is polled
//! every few milliseconds whether or not anything happened: polling on a timer.
// expect fail: block_on polls the future without being woken
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Never sleep for long, so that nothing can hang.
        thread::park_timeout(Duration::from_millis(5));
    }
}
