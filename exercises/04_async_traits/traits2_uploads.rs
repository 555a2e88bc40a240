//! A photo app uploads a whole album in the background. `start_upload` spawns the upload as a
//! task and returns at once with an `Upload`: the app's screen asks it `done()` while the
//! upload runs ("2 of 3 photos"), and awaits `finish()` for the photos' storage ids.
//!
//! Inside that task the photos upload concurrently (`join_all`), and each counts itself done
//! in a shared `Progress`. The sharing uses `Rc<RefCell<..>>`, which is fine for futures that
//! never leave one thread. But `tokio::spawn` hands the task to the runtime, whose worker
//! threads may each poll it, so it refuses a future that keeps an `Rc` across an `.await`:
//! an `Rc`'s count is not safe to change from two threads.
//!
//! Done when: it compiles and `start_upload` still spawns the upload and returns at once; the
//! photos upload at the same time; `done()` counts each photo as soon as its upload finishes,
//! while the caller does something else; `finish()` returns the ids in the album's order.

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
    // TODO: shared with a task that may run on another thread.
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
    let task = tokio::spawn(async move {
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
