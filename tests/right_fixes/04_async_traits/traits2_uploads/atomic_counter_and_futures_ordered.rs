//! Correct alternative: an `Arc<AtomicUsize>` counted inside each photo's future, and the
//! uploads driven by a `FuturesOrdered`, which yields in album order (found by a stranger).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::task::JoinHandle;

/// Stores one photo; resolves to its storage id.
pub type Storage = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

pub struct Upload {
    done: Arc<AtomicUsize>,
    task: JoinHandle<Vec<u64>>,
}

impl Upload {
    /// How many photos are stored so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Acquire)
    }

    /// Waits for the whole album: the storage ids, in the album's order.
    pub async fn finish(self) -> Vec<u64> {
        self.task.await.expect("the upload task panicked")
    }
}

pub fn start_upload(photos: Vec<String>, storage: Storage) -> Upload {
    let done = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&done);
    let task = tokio::spawn(async move {
        // FuturesOrdered: concurrent, yields in the order pushed.
        let mut uploads: futures::stream::FuturesOrdered<_> = photos
            .into_iter()
            .map(|photo| {
                let (counter, storage) = (Arc::clone(&counter), Arc::clone(&storage));
                async move {
                    let id = storage(photo).await;
                    counter.fetch_add(1, Ordering::AcqRel);
                    id
                }
            })
            .collect();
        let mut ids = Vec::with_capacity(uploads.len());
        while let Some(id) = futures::StreamExt::next(&mut uploads).await {
            ids.push(id);
        }
        ids
    });
    Upload { done, task }
}
