//! Wrong fix: avoids `tokio::spawn` (and its `Send` bound) by keeping the upload's future in
//! the `Upload` and awaiting it in `finish()`. It compiles, but a future does nothing until it
//! is polled: no photo is uploaded while the caller does anything else.
// expect fail: runs only when finish() is awaited
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use futures::future::join_all;

/// Stores one photo; resolves to its storage id.
pub type Storage = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

#[derive(Default)]
struct Progress {
    done: usize,
}

pub struct Upload {
    progress: Rc<RefCell<Progress>>,
    task: Pin<Box<dyn Future<Output = Vec<u64>>>>,
}

impl Upload {
    /// How many photos are stored so far.
    pub fn done(&self) -> usize {
        self.progress.borrow().done
    }

    /// Waits for the whole album: the storage ids, in the album's order.
    pub async fn finish(self) -> Vec<u64> {
        self.task.await
    }
}

pub fn start_upload(photos: Vec<String>, storage: Storage) -> Upload {
    let progress = Rc::new(RefCell::new(Progress::default()));
    let shared = Rc::clone(&progress);
    let task = Box::pin(async move {
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
