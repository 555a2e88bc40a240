//! Correct alternative: a current-thread runtime driven by a std::thread of telemetry's own, joined at shutdown.
use std::future::Future;
use std::thread::{self, JoinHandle};

use tokio::runtime::Builder;
use tokio::sync::mpsc;

pub struct Telemetry {
    events: mpsc::UnboundedSender<String>,
    thread: JoinHandle<()>,
}

impl Telemetry {
    pub fn start<U, F>(upload: U) -> Telemetry
    where
        U: Fn(Vec<String>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let runtime = Builder::new_current_thread().enable_all().build().unwrap();
        let (events, mut queue) = mpsc::unbounded_channel::<String>();
        let thread = thread::Builder::new()
            .name("telemetry".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(first) = queue.recv().await {
                        let mut batch = vec![first];
                        while let Ok(more) = queue.try_recv() {
                            batch.push(more);
                        }
                        upload(batch).await;
                    }
                })
            })
            .expect("could not start the telemetry thread");
        Telemetry { events, thread }
    }

    pub fn record(&self, event: &str) {
        let _ = self.events.send(event.to_owned());
    }

    pub fn shutdown(self) {
        drop(self.events);
        self.thread.join().expect("the telemetry thread panicked");
    }
}
