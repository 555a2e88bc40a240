//! Wrong fix: a writer task owns the connection, but ship returns once its batch is queued, not written.
// expect fail: it returned before its batch was written
//! Every part of the service ships its log lines to the log collector over one shared
//! connection. The collector reads the stream as batches, a header and then exactly `count`
//! lines:
//!
//! ```text
//! BATCH <source> <count>
//! <line 1>
//! ...
//! ```
//!
//! so the lines of a batch must go out together: another batch may only start after the last
//! line of the one before. Writing waits whenever the connection's buffer is full (the
//! collector reads at its own pace), so `ship` awaits in the middle of a batch. The connection
//! sits behind a `std::sync::Mutex` whose guard `ship` keeps across those awaits.
//!
//! Done when: batches shipped at the same time (by futures of one task, or tasks on one
//! thread) arrive whole, one after the other, on either kind of runtime; a batch waiting for
//! its turn, or for the collector, never blocks the runtime's thread, and is not polled again
//! and again meanwhile; the writes are awaited on the runtime, not driven from a blocking
//! thread; `ship` returns once its batch is written, or with the error of a write that failed;
//! an empty batch is its header line alone. `Shipper::new` is called inside the runtime.

use std::io;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

type Job = (String, oneshot::Sender<io::Result<()>>);

pub struct Shipper<C> {
    jobs: mpsc::UnboundedSender<Job>,
    _connection: std::marker::PhantomData<fn() -> C>,
}

impl<C: AsyncWrite + Unpin + Send + 'static> Shipper<C> {
    pub fn new(connection: C) -> Self {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        // One task owns the connection and writes the batches one after the other.
        tokio::spawn(async move {
            let mut connection = connection;
            while let Some((batch, done)) = queue.recv().await {
                let mut result = connection.write_all(batch.as_bytes()).await;
                if result.is_ok() {
                    result = connection.flush().await;
                }
                let _ = done.send(result);
            }
        });
        Shipper {
            jobs,
            _connection: std::marker::PhantomData,
        }
    }

    /// Sends `lines` from `source` as one batch, and returns once it is written (or with the
    /// error of the write that failed).
    pub async fn ship(&self, source: &str, lines: &[&str]) -> io::Result<()> {
        let mut batch = format!("BATCH {source} {}\n", lines.len());
        for line in lines {
            batch.push_str(line);
            batch.push('\n');
        }
        let (done, _written) = oneshot::channel();
        self.jobs
            .send((batch, done))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the writer task is gone"))
    }
}
