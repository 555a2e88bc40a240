//! A photo editor (a synchronous desktop app: its main thread runs the UI loop) reports usage
//! events. The reporting is async: `Telemetry::start` builds a tokio runtime and spawns the
//! uploader task on it, which sends the queued events in batches with `upload` (async, it uses
//! tokio's timers and sockets). The UI thread only calls `record`, which must return at once,
//! and `shutdown` when the app quits.
//!
//! In the field, events pile up and are sent only when the app quits, all at once. On a
//! current-thread runtime, tasks run only while some thread is inside the runtime's
//! `block_on`, and the only `block_on` here is in `shutdown`. The spawned uploader just waits.
//!
//! Done when: events are uploaded while the UI thread goes on with its own work, without it
//! calling into telemetry again; uploads never run on the UI thread; telemetry uses exactly one
//! thread of its own (the user's laptop has other things to do); `shutdown` returns once every
//! recorded event was uploaded (no events, no upload).

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
