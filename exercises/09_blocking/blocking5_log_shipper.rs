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
use std::sync::Mutex;

use tokio::io::{AsyncWrite, AsyncWriteExt};

pub struct Shipper<C> {
    connection: Mutex<C>,
}

impl<C: AsyncWrite + Unpin + Send + 'static> Shipper<C> {
    pub fn new(connection: C) -> Self {
        Shipper {
            connection: Mutex::new(connection),
        }
    }

    /// Sends `lines` from `source` as one batch, and returns once it is written (or with the
    /// error of the write that failed).
    pub async fn ship(&self, source: &str, lines: &[&str]) -> io::Result<()> {
        // TODO: the batch needs the connection to itself from the header to the last line,
        // awaits included, but this guard blocks the thread of anyone else who wants it.
        let mut connection = self.connection.lock().unwrap();
        let header = format!("BATCH {source} {}\n", lines.len());
        connection.write_all(header.as_bytes()).await?;
        for line in lines {
            connection.write_all(line.as_bytes()).await?;
            connection.write_all(b"\n").await?;
        }
        connection.flush().await
    }
}
