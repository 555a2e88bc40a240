//! Correct alternative: a finished job becomes a never-ready `std::future::pending()`, not `None`
//! A print shop's controller runs its jobs (receipts, posters, a banner waiting for paper) as
//! tasks on a tiny executor: `spawn` puts a task in the run queue (a channel), `run` takes
//! tasks out and polls them. A task that returns `Pending` waits until its waker is woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A spawned job, and the way back into the run queue.
struct Task {
    job: Mutex<Job>,
    queue: Sender<Arc<Task>>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let _ = self.queue.send(Arc::clone(&self));
    }
}

/// Hands jobs to the executor: cheap to clone, usable inside jobs and from other threads.
#[derive(Clone)]
pub struct Spawner {
    queue: Sender<Arc<Task>>,
    unfinished: Arc<AtomicUsize>,
}

impl Spawner {
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.unfinished.fetch_add(1, SeqCst);
        let (job, queue) = (Mutex::new(Box::pin(job) as Job), self.queue.clone());
        let task = Arc::new(Task { job, queue });
        self.queue.send(task).expect("the executor is gone");
    }
}

pub struct Executor {
    run_queue: Receiver<Arc<Task>>,
    spawner: Spawner,
}

impl Default for Executor {
    fn default() -> Self {
        let (queue, run_queue) = channel();
        let unfinished = Arc::default();
        let spawner = Spawner { queue, unfinished };
        Executor { run_queue, spawner }
    }
}

impl Executor {
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Polls tasks from the run queue until every spawned job has finished.
    pub fn run(&self) {
        while self.spawner.unfinished.load(SeqCst) > 0 {
            // Sleeps until a task is in the queue.
            let task = self.run_queue.recv().expect("the executor keeps a sender");
            let waker = Waker::from(Arc::clone(&task));
            let mut cx = Context::from_waker(&waker);
            let mut job = task.job.lock().unwrap();
            if job.as_mut().poll(&mut cx).is_ready() {
                self.spawner.unfinished.fetch_sub(1, SeqCst);
                // The finished job is dropped; in its place, one that never finishes and never
                // wakes: a stale copy of the task that comes out of the queue later is polled
                // harmlessly and counted for nothing.
                *job = Box::pin(std::future::pending::<()>());
            }
        }
    }
}
