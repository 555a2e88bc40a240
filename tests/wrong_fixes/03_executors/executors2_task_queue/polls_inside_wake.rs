//! Wrong fix: `wake` polls the task right there instead of queueing it: on whichever thread
//! wakes it, and, when a job wakes itself, inside its own poll, whose lock is still held.
// expect fail: wake() never returned
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
    job: Mutex<Option<Job>>,
    queue: Sender<Arc<Task>>,
    unfinished: Arc<AtomicUsize>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // Woken: poll it again right away, no need for a round trip through the queue.
        let waker = Waker::from(Arc::clone(&self));
        let mut slot = self.job.lock().unwrap();
        if let Some(job) = slot.as_mut()
            && job
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
        {
            *slot = None;
            self.unfinished.fetch_sub(1, SeqCst);
        }
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
        let (job, queue) = (Mutex::new(Some(Box::pin(job) as Job)), self.queue.clone());
        let unfinished = Arc::clone(&self.unfinished);
        let task = Arc::new(Task {
            job,
            queue,
            unfinished,
        });
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
            // Sleeps until a task is in the queue: an executor with nothing to poll must not
            // spin. The executor keeps a sender itself, so `recv` cannot fail.
            let task = self.run_queue.recv().expect("the executor keeps a sender");
            let waker = Waker::from(Arc::clone(&task));
            let mut cx = Context::from_waker(&waker);
            let mut slot = task.job.lock().unwrap();
            // A task woken twice before its poll, or woken as it finished, is in the queue
            // more than once. Once its job is done, such entries are simply skipped: polling a
            // finished future is a bug (an `async` block panics).
            let Some(job) = slot.as_mut() else {
                continue;
            };
            if job.as_mut().poll(&mut cx).is_ready() {
                // Drop the finished job now, which also frees what it held.
                *slot = None;
                self.spawner.unfinished.fetch_sub(1, SeqCst);
            }
        }
    }
}
