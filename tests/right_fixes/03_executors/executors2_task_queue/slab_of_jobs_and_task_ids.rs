//! Correct alternative: `run` owns the jobs in a slab; wakers send task ids and spawns send jobs over one channel
//! A print shop's controller runs its jobs (receipts, posters, a banner waiting for paper) as
//! tasks on a tiny executor: `spawn` puts a task in the run queue (a channel), `run` takes
//! tasks out and polls them. A task that returns `Pending` waits until its waker is woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::task::{Context, Wake, Waker};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the run queue carries: a new job, or the id of a task to poll again.
enum Message {
    Spawn(Job),
    Wake(usize),
}

struct TaskWaker {
    id: usize,
    queue: Sender<Message>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        let _ = self.queue.send(Message::Wake(self.id));
    }
}

/// Hands jobs to the executor: cheap to clone, usable inside jobs and from other threads.
#[derive(Clone)]
pub struct Spawner {
    queue: Sender<Message>,
    unfinished: Arc<AtomicUsize>,
}

impl Spawner {
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.unfinished.fetch_add(1, SeqCst);
        self.queue
            .send(Message::Spawn(Box::pin(job)))
            .expect("the executor is gone");
    }
}

pub struct Executor {
    messages: Receiver<Message>,
    spawner: Spawner,
}

impl Default for Executor {
    fn default() -> Self {
        let (queue, messages) = channel();
        let unfinished = Arc::default();
        let spawner = Spawner { queue, unfinished };
        Executor { messages, spawner }
    }
}

impl Executor {
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Polls tasks from the run queue until every spawned job has finished.
    pub fn run(&self) {
        // Slot `id` holds task `id`'s job until it finishes, then `None`.
        let mut jobs: Vec<Option<Job>> = Vec::new();
        let mut wakers: Vec<Waker> = Vec::new();
        while self.spawner.unfinished.load(SeqCst) > 0 {
            let id = match self.messages.recv().expect("the executor keeps a sender") {
                Message::Spawn(job) => {
                    let id = jobs.len();
                    jobs.push(Some(job));
                    let queue = self.spawner.queue.clone();
                    wakers.push(Waker::from(Arc::new(TaskWaker { id, queue })));
                    id
                }
                Message::Wake(id) => id,
            };
            // A wake-up for a finished task finds an empty slot.
            let Some(job) = jobs[id].as_mut() else {
                continue;
            };
            if job
                .as_mut()
                .poll(&mut Context::from_waker(&wakers[id]))
                .is_ready()
            {
                jobs[id] = None;
                self.spawner.unfinished.fetch_sub(1, SeqCst);
            }
        }
    }
}
