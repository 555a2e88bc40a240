//! Wrong fix: keeps the current-thread runtime, and gives it a turn inside every record().
// expect fail: ran on the UI thread
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
        let runtime = Builder::new_current_thread().enable_all().build().unwrap();
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
        // Let the uploader run for a moment.
        self.runtime.block_on(tokio::task::yield_now());
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
