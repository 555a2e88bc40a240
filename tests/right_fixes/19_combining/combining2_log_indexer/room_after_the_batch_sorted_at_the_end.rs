//! Correct alternative: takes the batch first and then waits for room (holding that one batch), and sorts the indexes by `seq` once they all came back in any order
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
use futures::stream::FuturesUnordered;
use tokio::sync::{Semaphore, mpsc, oneshot};

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
    mut incoming: mpsc::Receiver<Batch>,
    max_in_flight: usize,
    index: Indexer,
) -> Vec<BatchIndex> {
    let room = Arc::new(Semaphore::new(max_in_flight));
    let mut pending = FuturesUnordered::new();
    // Take a batch, then wait for room for it (index_logs holds at most this one batch).
    while let Some(batch) = incoming.recv().await {
        let permit = Arc::clone(&room)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let index = Arc::clone(&index);
        let (done, indexed) = oneshot::channel();
        rayon::spawn(move || {
            let indexed = index(batch);
            drop(permit);
            let _ = done.send(indexed);
        });
        pending.push(indexed);
    }
    let mut indexes = Vec::new();
    while let Some(indexed) = pending.next().await {
        indexes.push(indexed.expect("an indexing job always answers"));
    }
    // They finished in any order; seq numbers the batches in the order they were queued.
    indexes.sort_by_key(|indexed| indexed.seq);
    indexes
}
