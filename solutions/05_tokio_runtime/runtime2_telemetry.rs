//! A photo editor's usage telemetry: async uploads on a runtime with a worker thread of its
//! own, so they go on while the synchronous UI thread does its work.

use std::future::Future;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub struct Telemetry {
    runtime: Runtime,
    events: mpsc::UnboundedSender<String>,
    uploader: JoinHandle<()>,
}

impl Telemetry {
    /// Starts telemetry: `upload` sends one batch of events.
    pub fn start<U, F>(upload: U) -> Telemetry
    where
        U: Fn(Vec<String>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        // A current-thread runtime runs its tasks only on a thread inside its `block_on`, and
        // the UI thread never is (until `shutdown`). A multi-thread runtime has worker threads
        // of its own that run spawned tasks whatever the caller does: one is enough here.
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("telemetry")
            .enable_all()
            .build()
            .expect("could not start telemetry's runtime");
        let (events, mut queue) = mpsc::unbounded_channel::<String>();
        let uploader = runtime.spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = queue.try_recv() {
                    batch.push(more);
                }
                upload(batch).await;
            }
        });
        Telemetry {
            runtime,
            events,
            uploader,
        }
    }

    /// Queues an event for upload; returns at once.
    pub fn record(&self, event: &str) {
        let _ = self.events.send(event.to_owned());
    }

    /// Uploads what is still queued, then stops telemetry.
    pub fn shutdown(self) {
        let Telemetry {
            runtime,
            events,
            uploader,
        } = self;
        drop(events); // the uploader's loop ends once the queue is empty
        // Wait for the uploader to finish the queue: dropping the runtime before that would
        // cancel it mid-batch. (`block_on` here just waits; the upload runs on the worker.)
        runtime.block_on(uploader).expect("the uploader panicked");
    }
}
