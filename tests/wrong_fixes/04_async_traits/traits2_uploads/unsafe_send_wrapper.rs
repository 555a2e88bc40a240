//! Wrong fix (found by a stranger): keeps the `Rc<RefCell<..>>` and silences the compiler
//! with an `unsafe impl Send` wrapper around the spawned future. The task's worker then
//! changes the `RefCell` and the `Rc`'s count while the screen's thread reads them: a data
//! race, which no amount of testing sees reliably. `Upload` is still not `Send` and `Sync`.
// expect fail: Upload is not Send and Sync

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

/// Tells tokio the upload may move between threads.
struct AssertSend<T>(T);
// SAFETY: (not really) the Rc never leaves the upload... except through `Upload`.
unsafe impl<T> Send for AssertSend<T> {}
impl<T: Future> Future for AssertSend<T> {
    type Output = T::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T::Output> {
        // SAFETY: structural pinning of the only field.
        unsafe { self.map_unchecked_mut(|s| &mut s.0) }.poll(cx)
    }
}

pub fn start_upload(photos: Vec<String>, storage: Storage) -> Upload {
    let progress = Rc::new(RefCell::new(Progress::default()));
    let shared = Rc::clone(&progress);
    let task = tokio::spawn(AssertSend(async move {
        let uploads = photos.into_iter().map(|photo| {
            let (progress, storage) = (Rc::clone(&shared), Arc::clone(&storage));
            async move {
                let id = storage(photo).await;
                progress.borrow_mut().done += 1;
                id
            }
        });
        join_all(uploads).await
    }));
    Upload { progress, task }
}
