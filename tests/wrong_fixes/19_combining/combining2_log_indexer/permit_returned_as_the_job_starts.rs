//! Wrong fix: the permit travels into the rayon job, but the job gives it back as soon as it
//! starts, before indexing: a batch being indexed no longer counts, so more than
//! `max_in_flight` batches are in the pool at once.
// expect fail: a batch counts against the limit until it is indexed
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
    let mut pending = Vec::new();
    loop {
        let permit = Arc::clone(&room)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let Some(batch) = incoming.recv().await else {
            break;
        };
        let index = Arc::clone(&index);
        let (done, indexed) = oneshot::channel();
        rayon::spawn(move || {
            // The job has started on a rayon thread: it no longer waits, so free its room.
            drop(permit);
            let _ = done.send(index(batch));
        });
        pending.push(indexed);
    }
    let mut indexes = Vec::with_capacity(pending.len());
    for indexed in pending {
        indexes.push(indexed.await.expect("an indexing job always answers"));
    }
    indexes
}
