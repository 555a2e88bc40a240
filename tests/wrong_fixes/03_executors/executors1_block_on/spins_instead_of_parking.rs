//! Wrong fix: nobody unparks the thread, so it does not park at all: it polls the future again
//! and again, yielding the CPU in between. It finishes, but it is a busy loop.
// expect fail: block_on spins instead of sleeping
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::thread;

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Let other threads run, then look again.
        thread::yield_now();
    }
}
