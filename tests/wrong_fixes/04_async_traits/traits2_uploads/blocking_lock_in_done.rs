//! Wrong fix: shares the progress in a `tokio::sync::Mutex` (its guard never crosses an
//! `.await`, fine), but `done()` is synchronous, so it takes that async lock with
//! `blocking_lock()`, which tokio refuses on a runtime thread.
// expect fail: done() waited for an async lock with a blocking call
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Mutex;

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
        self.progress.blocking_lock().done
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
            let (progress, storage) = (Arc::clone(&shared), Arc::clone(&storage));
            async move {
                let id = storage(photo).await;
                progress.lock().await.done += 1;
                id
            }
        });
        join_all(uploads).await
    });
    Upload { progress, task }
}
