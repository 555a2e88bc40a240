//! Correct alternative: the channel as a stream, each batch an async block that hands it to rayon, at most `max_in_flight` of them at once with `buffered`
//! A log indexer. A network reader decodes batches of log lines and queues them in a bounded
//! channel; `index_logs` takes them from there and indexes each one on rayon's pool with
//! `index` (building a word index: CPU work, a while per batch). The channel is bounded so that
//! memory stays bounded: when indexing falls behind, the queue fills up and the reader waits,
//! and the network slows down instead of batches piling up in memory.
//!
//! Done when: `index_logs(incoming, max_in_flight, index)` returns every batch's index, in the
//! order the batches arrived; at most `max_in_flight` batches are in rayon's pool (handed over
//! and not yet indexed) at any time, and while that many are, batches stay in the channel
//! (`index_logs` may hold one more, waiting for room), so the reader waits; up to
//! `max_in_flight` batches are indexed at the same time, always on rayon's threads; no
//! batches, no indexes.
//! `max_in_flight` is at least 1.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug)]
pub struct Batch {
    /// The batch's number, counting from 0 in the order the reader decoded them.
    pub seq: u64,
    pub lines: Vec<String>,
}

/// What indexing a batch produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchIndex {
    pub seq: u64,
    pub words: usize,
}

/// The indexing library: CPU work, a while per batch.
pub type Indexer = Arc<dyn Fn(Batch) -> BatchIndex + Send + Sync>;

pub async fn index_logs(
    incoming: mpsc::Receiver<Batch>,
    max_in_flight: usize,
    index: Indexer,
) -> Vec<BatchIndex> {
    // The channel as a stream; `buffered(n)` keeps at most n indexing futures going at once,
    // pulls the next batch only when one of them has finished, and yields them in order.
    let batches = futures::stream::unfold(incoming, |mut incoming| async move {
        incoming.recv().await.map(|batch| (batch, incoming))
    });
    batches
        .map(|batch| {
            let index = Arc::clone(&index);
            async move {
                let (done, indexed) = oneshot::channel();
                rayon::spawn(move || {
                    let _ = done.send(index(batch));
                });
                indexed.await.expect("an indexing job always answers")
            }
        })
        .buffered(max_in_flight)
        .collect()
        .await
}
