//! Wrong fix: BlockingJob is right, but offload just calls the job inside the async fn, on
//! the runtime's thread.
// expect fail: offload(job).await blocked the runtime's thread
//! Off-loading blocking work: `BlockingJob` runs a slow, blocking function (parsing a big log,
//! hashing a file) on a helper thread, so the task that awaits it never blocks its executor.
//!
//! This was adapted from a tutorial, and it does not compile: the helper thread tries to use
//! `cx`, which is only borrowed for the length of one `poll` call; `self` is used after
//! `get_mut` consumed it; and `offload` `.await`s a method that returns a `Poll`, which is
//! not a future. The design is wrong too: every poll would start the job all over again.
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
    waker: Option<Waker>,
}

/// A future that runs `job` on its own thread and resolves to what it returns.
pub struct BlockingJob<T> {
    job: Arc<dyn Fn() -> T + Send + Sync>,
    shared: Arc<Mutex<Shared<T>>>,
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
        let this = self.get_mut();
        {
            let mut shared = this.shared.lock().unwrap();
            if let Some(result) = shared.result.take() {
                return Poll::Ready(result);
            }
            shared.waker = Some(cx.waker().clone());
        }
        if !this.started {
            this.started = true;
            let job = Arc::clone(&this.job);
            let shared = Arc::clone(&this.shared);
            thread::spawn(move || {
                let result = job();
                let mut shared = shared.lock().unwrap();
                shared.result = Some(result);
                if let Some(waker) = shared.waker.take() {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

/// Runs `job` off the executor and returns its result.
pub async fn offload<T: Send + 'static>(job: impl Fn() -> T + Send + Sync + 'static) -> T {
    // No need for a thread of its own: an async fn can call the job directly.
    job()
}
