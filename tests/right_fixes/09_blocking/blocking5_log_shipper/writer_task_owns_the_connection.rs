//! Correct alternative: one writer task owns the connection; batches reach it over a channel, whole.
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
//! collector reads at its own pace), so `ship` awaits in the middle of a batch.
//!
//! Done when: batches shipped at the same time (by futures of one task, or tasks on one
//! thread) arrive whole, one after the other, on either kind of runtime; a batch waiting for
//! its turn, or for the collector, never blocks the runtime's thread; the writes are awaited on
//! the runtime, not driven from a blocking thread; an empty batch is its header line alone.
//! `Shipper::new` is called inside the runtime.

use std::io;
use std::marker::PhantomData;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// A formatted batch, and where to report how writing it went.
type Job = (String, oneshot::Sender<io::Result<()>>);

pub struct Shipper<C> {
    // No lock at all: only the writer task touches the connection, and it takes one batch at
    // a time off the channel, so batches cannot interleave.
    jobs: mpsc::UnboundedSender<Job>,
    connection: PhantomData<fn(C)>,
}

impl<C: AsyncWrite + Unpin + Send + 'static> Shipper<C> {
    pub fn new(mut connection: C) -> Self {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            // Ends when the last Shipper handle is dropped, closing the connection with it.
            while let Some((batch, done)) = queue.recv().await {
                let written = async {
                    connection.write_all(batch.as_bytes()).await?;
                    connection.flush().await
                };
                let _ = done.send(written.await);
            }
        });
        Shipper {
            jobs,
            connection: PhantomData,
        }
    }

    /// Sends `lines` from `source` as one batch, and returns once it is written.
    pub async fn ship(&self, source: &str, lines: &[&str]) -> io::Result<()> {
        let mut batch = format!("BATCH {source} {}\n", lines.len());
        for line in lines {
            batch.push_str(line);
            batch.push('\n');
        }
        let (done, written) = oneshot::channel();
        let gone = || io::Error::new(io::ErrorKind::BrokenPipe, "the writer task is gone");
        self.jobs.send((batch, done)).map_err(|_| gone())?;
        written.await.map_err(|_| gone())?
    }
}
