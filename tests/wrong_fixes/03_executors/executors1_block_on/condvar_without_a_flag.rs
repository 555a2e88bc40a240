//! Wrong fix: waits on a condition variable that the waker notifies, but with no flag to say
//! a wake-up happened: a notification sent before `wait` starts (during the poll) reaches
//! nobody and is lost.
// expect fail: lost wake-up
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// The waker `block_on` hands to the future it runs.
#[derive(Default)]
struct Signal {
    lock: Mutex<()>,
    woken: Condvar,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        let _guard = self.lock.lock().unwrap();
        self.woken.notify_one();
    }
}

/// Runs `future` on the calling thread until it completes, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let signal = Arc::new(Signal::default());
    let waker = Waker::from(Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let guard = signal.lock.lock().unwrap();
        drop(signal.woken.wait(guard).unwrap());
    }
}
