//! Wrong fix: keeps the `Rc` and spawns the upload with `spawn_local`, which accepts futures
//! that are not `Send`. It compiles, but a local task needs a `LocalSet` to run on, and the
//! app's runtime has none: tokio panics.
// expect fail: spawn_local
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use futures::future::join_all;
use tokio::task::JoinHandle;

/// Stores one photo; resolves to its storage id.
pub type Storage = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

#[derive(Default)]
struct Progress {
    done: usize,
}

pub struct Upload {
    progress: Rc<RefCell<Progress>>,
    task: JoinHandle<Vec<u64>>,
}

impl Upload {
    /// How many photos are stored so far.
    pub fn done(&self) -> usize {
        self.progress.borrow().done
    }

    /// Waits for the whole album: the storage ids, in the album's order.
    pub async fn finish(self) -> Vec<u64> {
        self.task.await.expect("the upload task panicked")
    }
}

pub fn start_upload(photos: Vec<String>, storage: Storage) -> Upload {
    let progress = Rc::new(RefCell::new(Progress::default()));
    let shared = Rc::clone(&progress);
    let task = tokio::task::spawn_local(async move {
        let uploads = photos.into_iter().map(|photo| {
            let (progress, storage) = (Rc::clone(&shared), Arc::clone(&storage));
            async move {
                let id = storage(photo).await;
                progress.borrow_mut().done += 1;
                id
            }
        });
        join_all(uploads).await
    });
    Upload { progress, task }
}
