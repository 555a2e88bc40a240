//! Wrong fix: the compiler refused a std `MutexGuard` held across the upload's `.await` (not
//! `Send`), so the progress moved to a `tokio::sync::Mutex`, whose guard may cross it. It
//! compiles, but each photo keeps the lock for its whole upload: the photos upload one at a
//! time.
// expect fail: ran one after another
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
        self.progress.try_lock().map_or(0, |p| p.done)
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
                let mut progress = progress.lock().await;
                let id = storage(photo).await;
                progress.done += 1;
                id
            }
        });
        join_all(uploads).await
    });
    Upload { progress, task }
}
