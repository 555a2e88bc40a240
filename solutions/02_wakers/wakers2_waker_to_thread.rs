//! Off-loading blocking work: `BlockingJob` runs a slow, blocking function (parsing a big log,
//! hashing a file) on a helper thread, so the task that awaits it never blocks its executor.
//!
//! Done when: `BlockingJob` implements `Future`; it starts the job on a helper thread exactly
//! once, however often it is polled; the helper thread wakes the awaiting task when the result
//! is stored; the next poll returns it. `offload(job).await` gives the job's result.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

/// What the awaiting task and the helper thread share.
struct Shared<T> {
    result: Option<T>,
    /// The waker from the latest poll: the helper thread wakes it when `result` is in.
    waker: Option<Waker>,
}

/// A future that runs `job` on its own thread and resolves to what it returns.
pub struct BlockingJob<T> {
    job: Arc<dyn Fn() -> T + Send + Sync>,
    shared: Arc<Mutex<Shared<T>>>,
    /// Polls can come many times before the job is done (spurious wake-ups, a `select!`
    /// polling all its branches): the job must start only on the first one.
    started: bool,
}

impl<T: Send + 'static> BlockingJob<T> {
    pub fn new(job: impl Fn() -> T + Send + Sync + 'static) -> Self {
        BlockingJob {
            job: Arc::new(job),
            shared: Arc::new(Mutex::new(Shared {
                result: None,
                waker: None,
            })),
            started: false,
        }
    }
}

impl<T: Send + 'static> Future for BlockingJob<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // All fields are `Unpin`, so one `get_mut` gives ordinary `&mut` access for the whole
        // call (`get_mut` consumes the `Pin`: it cannot be called twice).
        let this = self.get_mut();
        {
            let mut shared = this.shared.lock().unwrap();
            if let Some(result) = shared.result.take() {
                return Poll::Ready(result);
            }
            // `cx` is borrowed for this call only and cannot cross threads; a `Waker` is an
            // owned, `Send` handle to the task, so the thread gets a clone of that instead.
            // Stored under the same lock as the result, so the thread cannot miss it.
            shared.waker = Some(cx.waker().clone());
        }
        if !this.started {
            this.started = true;
            let job = Arc::clone(&this.job);
            let shared = Arc::clone(&this.shared);
            thread::spawn(move || {
                let result = job();
                let waker = {
                    let mut shared = shared.lock().unwrap();
                    // Store first, then wake: the woken task must find the result.
                    shared.result = Some(result);
                    shared.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

/// Runs `job` off the executor and returns its result.
pub async fn offload<T: Send + 'static>(job: impl Fn() -> T + Send + Sync + 'static) -> T {
    // `.await` drives a `Future`, giving it a `Context` on every poll; an `async fn` has no
    // `cx` of its own to hand to a `poll_*` method.
    BlockingJob::new(job).await
}
