//! Correct alternative: the helper thread sends the result over a futures oneshot channel, whose receiver keeps the waker
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
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;

use futures::channel::oneshot;

/// A future that runs `job` on its own thread and resolves to what it returns.
pub struct BlockingJob<T> {
    job: Arc<dyn Fn() -> T + Send + Sync>,
    /// `None` until the first poll starts the job; then the end the result arrives on.
    result: Option<oneshot::Receiver<T>>,
}

impl<T: Send + 'static> BlockingJob<T> {
    pub fn new(job: impl Fn() -> T + Send + Sync + 'static) -> Self {
        BlockingJob {
            job: Arc::new(job),
            result: None,
        }
    }
}

impl<T: Send + 'static> Future for BlockingJob<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let job = &this.job;
        let result = this.result.get_or_insert_with(|| {
            let (send, receive) = oneshot::channel();
            let job = Arc::clone(job);
            thread::spawn(move || {
                // The channel stores the result, then wakes whoever polled the receiver last.
                let _ = send.send(job());
            });
            receive
        });
        Pin::new(result)
            .poll(cx)
            .map(|sent| sent.expect("the helper thread ended without a result"))
    }
}

/// Runs `job` off the executor and returns its result.
pub async fn offload<T: Send + 'static>(job: impl Fn() -> T + Send + Sync + 'static) -> T {
    BlockingJob::new(job).await
}
