//! Correct alternative: a condition variable and a `notified` flag under one mutex, in place of park/unpark
//! A firmware flasher's command line is plain synchronous code, but the USB library it talks
//! to is async: `block_on` runs one future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// What the waker sets and `block_on` waits for.
#[derive(Default)]
struct Signal {
    notified: Mutex<bool>,
    changed: Condvar,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.notified.lock().unwrap() = true;
        self.changed.notify_one();
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
        // The flag remembers a wake-up that came during the poll; clearing it here, under
        // the lock, consumes exactly the wake-ups that the next poll will see.
        let mut notified = signal.notified.lock().unwrap();
        while !*notified {
            notified = signal.changed.wait(notified).unwrap();
        }
        *notified = false;
    }
}
