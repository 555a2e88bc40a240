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
use std::task::{Context, Poll};
use std::thread;

/// What the awaiting task and the helper thread share.
struct Shared<T> {
    result: Option<T>,
}

/// A future that runs `job` on its own thread and resolves to what it returns.
pub struct BlockingJob<T> {
    job: Arc<dyn Fn() -> T + Send + Sync>,
    shared: Arc<Mutex<Shared<T>>>,
}

impl<T: Send + 'static> BlockingJob<T> {
    pub fn new(job: impl Fn() -> T + Send + Sync + 'static) -> Self {
        BlockingJob {
            job: Arc::new(job),
            shared: Arc::new(Mutex::new(Shared { result: None })),
        }
    }

    // TODO: this is what `Future::poll` should do; make `BlockingJob` a `Future` instead.
    fn poll_result(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(result) = self.get_mut().shared.lock().unwrap().result.take() {
            return Poll::Ready(result);
        }
        // TODO: this starts one more thread on every poll.
        let job = Arc::clone(&self.get_mut().job);
        let shared = Arc::clone(&self.get_mut().shared);
        thread::spawn(move || {
            let result = job();
            shared.lock().unwrap().result = Some(result);
            // TODO: `cx` cannot leave `poll`. What can the thread take along instead?
            cx.waker().wake_by_ref();
        });
        Poll::Pending
    }
}

/// Runs `job` off the executor and returns its result.
pub async fn offload<T: Send + 'static>(job: impl Fn() -> T + Send + Sync + 'static) -> T {
    let mut pending = BlockingJob::new(job);
    // TODO: `.await` needs a future, not a `Poll`.
    Pin::new(&mut pending).poll_result().await
}
