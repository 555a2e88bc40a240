//! Correct alternative: an `Arc<AtomicUsize>` counter, and every photo in a task of its own,
//! whose handles are awaited in the album's order.
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
        self.done.load(Ordering::SeqCst)
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
        let mut uploads = Vec::new();
        for photo in photos {
            let (counter, storage) = (Arc::clone(&counter), Arc::clone(&storage));
            uploads.push(tokio::spawn(async move {
                let id = storage(photo).await;
                counter.fetch_add(1, Ordering::SeqCst);
                id
            }));
        }
        let mut ids = Vec::new();
        for upload in uploads {
            ids.push(upload.await.expect("a photo's upload panicked"));
        }
        ids
    });
    Upload { done, task }
}
