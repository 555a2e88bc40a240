//! Wrong fix (found by a stranger): uploads concurrently with `FuturesUnordered` and counts
//! each photo, but collects the ids as the uploads finish: completion order, not album order.
// expect fail: the order they finished uploading

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
    use futures::stream::{FuturesUnordered, StreamExt};
    let progress = Arc::new(Mutex::new(Progress::default()));
    let shared = Arc::clone(&progress);
    let task = tokio::spawn(async move {
        let mut uploads: FuturesUnordered<_> = photos
            .into_iter()
            .map(|photo| {
                let (progress, storage) = (Arc::clone(&shared), Arc::clone(&storage));
                async move {
                    let id = storage(photo).await;
                    progress.lock().unwrap().done += 1;
                    id
                }
            })
            .collect();
        let mut ids = Vec::new();
        while let Some(id) = uploads.next().await {
            ids.push(id);
        }
        ids
    });
    Upload { progress, task }
}
