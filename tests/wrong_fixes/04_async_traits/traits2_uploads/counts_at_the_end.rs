//! Wrong fix: shares the progress through an `Arc<Mutex<..>>`, but to keep the concurrent
//! uploads simple it sets the count once `join_all` is over: `done()` says 0 until every photo
//! is stored.
// expect fail: done() said 0
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use tokio::task::JoinHandle;

/// Stores one photo; resolves to its storage id.
pub type Storage = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

#[derive(Default)]
struct Progress {
    done: usize,
}

pub struct Upload {
    progress: Arc<Mutex<Progress>>,
    task: JoinHandle<Vec<u64>>,
}

impl Upload {
    /// How many photos are stored so far.
    pub fn done(&self) -> usize {
        self.progress.lock().unwrap().done
    }

    /// Waits for the whole album: the storage ids, in the album's order.
    pub async fn finish(self) -> Vec<u64> {
        self.task.await.expect("the upload task panicked")
    }
}

pub fn start_upload(photos: Vec<String>, storage: Storage) -> Upload {
    let progress = Arc::new(Mutex::new(Progress::default()));
    let shared = Arc::clone(&progress);
    let task = tokio::spawn(async move {
        let uploads = photos.into_iter().map(|photo| {
            let storage = Arc::clone(&storage);
            async move { storage(photo).await }
        });
        let ids = join_all(uploads).await;
        shared.lock().unwrap().done = ids.len();
        ids
    });
    Upload { progress, task }
}
