//! A log indexer. A network reader decodes batches of log lines and queues them in a bounded
//! channel; `index_logs` takes them from there and indexes each one on rayon's pool with
//! `index` (building a word index: CPU work, a while per batch). The channel is bounded so that
//! memory stays bounded: when indexing falls behind, the queue fills up and the reader waits,
//! and the network slows down instead of batches piling up in memory.
//!
//! `index_logs` keeps at most `max_in_flight` batches in the pool with a semaphore whose
//! permits travel with the batches, and takes a batch from the channel only once it holds a
//! permit: the rest stay in the bounded channel, and the reader waits.

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
    // One permit per batch allowed in the pool at once.
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let mut pending = Vec::new();
    loop {
        // Wait for a free slot *before* taking the next batch: while the pool is full, the
        // batches stay in the bounded channel, the channel fills up, and the reader's `send`
        // waits. That is the backpressure. (Taking the batch first and then waiting would hold
        // one batch more, out of the channel.)
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let Some(batch) = incoming.recv().await else {
            break;
        };
        let index = Arc::clone(&index);
        let (done, indexed) = oneshot::channel();
        rayon::spawn(move || {
            let batch_index = index(batch);
            // The permit travels with the batch and is given back only when the batch is
            // indexed. Dropped at the end of the loop's body instead, it would limit nothing.
            drop(permit);
            let _ = done.send(batch_index);
        });
        // Awaited in order below: the indexes come back in the order the batches arrived,
        // whatever order rayon finishes them in.
        pending.push(indexed);
    }
    let mut indexes = Vec::with_capacity(pending.len());
    for indexed in pending {
        // A panic inside a `rayon::spawn` job aborts the process, so every job answers.
        indexes.push(indexed.await.expect("an indexing job always answers"));
    }
    indexes
}
