//! Wrong fix: drives a current-thread runtime on a thread of its own, but shutdown does not wait for that thread.
// expect fail: not uploaded
use std::future::Future;
use std::thread;

use tokio::runtime::Builder;
use tokio::sync::mpsc;

pub struct Telemetry {
    events: mpsc::UnboundedSender<String>,
}

impl Telemetry {
    pub fn start<U, F>(upload: U) -> Telemetry
    where
        U: Fn(Vec<String>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let (events, mut queue) = mpsc::unbounded_channel::<String>();
        thread::spawn(move || {
            let runtime = Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                while let Some(first) = queue.recv().await {
                    let mut batch = vec![first];
                    while let Ok(more) = queue.try_recv() {
                        batch.push(more);
                    }
                    upload(batch).await;
                }
            });
        });
        Telemetry { events }
    }

    pub fn record(&self, event: &str) {
        let _ = self.events.send(event.to_owned());
    }

    /// Closing the queue is enough: the telemetry thread finishes it and exits.
    pub fn shutdown(self) {
        drop(self.events);
    }
}
