//! A photo album uploaded in a background task, its progress shared with the caller through
//! an `Arc<Mutex<..>>`, which may cross threads (an `Rc<RefCell<..>>` may not).

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
    // Shared with a task that any worker thread may poll: a reference count and a lock that
    // are safe across threads.
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
            let (progress, storage) = (Arc::clone(&shared), Arc::clone(&storage));
            async move {
                let id = storage(photo).await;
                // The guard lives to the end of this statement: it is never held across an
                // `.await` (a std `MutexGuard` there would make the future not `Send` again).
                progress.lock().unwrap().done += 1;
                id
            }
        });
        join_all(uploads).await
    });
    Upload { progress, task }
}
