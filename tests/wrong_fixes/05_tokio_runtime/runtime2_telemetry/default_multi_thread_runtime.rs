//! Wrong fix: a multi-thread runtime with tokio's defaults (one worker thread per core).
// expect fail: started 3 worker threads
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
        // TODO: nothing ever drives this runtime until `shutdown` calls `block_on`.
        let runtime = Builder::new_multi_thread().enable_all().build().unwrap();
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
        runtime.block_on(uploader).expect("the uploader panicked");
    }
}
