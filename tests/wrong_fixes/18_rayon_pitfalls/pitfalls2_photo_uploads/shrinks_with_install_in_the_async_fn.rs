//! Wrong fix: reads on tokio's blocking pool, then shrinks with cpu.install called right in the
//! async fn: the shrinking runs on `cpu`, but the runtime's thread waits for all of it.
// expect fail: the runtime stalled while the uploads were shrunk
//! A photo sharing service makes thumbnails of each batch of photos a user uploads. It reads
//! every upload back from the storage disk (`read`: blocking file I/O, mostly waiting on the
//! disk) and shrinks it (`shrink`: CPU work). The service has one rayon pool for CPU work,
//! `cpu`, sized to the machine's cores and shared by everything that computes: this batch, the
//! other users' batches, the search index. `make_thumbnails` runs in a tokio task.
//!
//! Done when: `make_thumbnails` returns one thumbnail per upload, in the uploads' order, shrunk
//! in parallel on `cpu`; no read ever holds a thread of `cpu` or of rayon's global pool (the
//! pools' other users need those threads for CPU work); and the runtime's thread (it serves the
//! other users' requests) is never held, by a read or by waiting for the reads or the shrinking.

use std::sync::Arc;

use rayon::ThreadPool;
use rayon::prelude::*;

/// Reads every upload and shrinks it; returns the thumbnails in the uploads' order.
pub async fn make_thumbnails<T, R, S>(
    cpu: Arc<ThreadPool>,
    uploads: Vec<String>,
    read: R,
    shrink: S,
) -> Vec<T>
where
    T: Send + 'static,
    R: Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    S: Fn(&[u8]) -> T + Send + Sync + 'static,
{
    // The reads wait on a thread of tokio's blocking pool; only the bytes go to `cpu`.
    let files: Vec<Vec<u8>> =
        tokio::task::spawn_blocking(move || uploads.iter().map(|name| read(name)).collect())
            .await
            .expect("reading the uploads panicked");
    // `install` runs the shrinking on `cpu`'s threads.
    cpu.install(|| files.par_iter().map(|file| shrink(file)).collect())
}
