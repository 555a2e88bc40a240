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
use tokio::sync::oneshot;

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
    let (send_thumbnails, thumbnails) = oneshot::channel();
    cpu.spawn(move || {
        // TODO: each `read` sits waiting on the disk, and it waits on a thread of `cpu`. With
        // a few uploads, every thread of the pool is waiting, and the CPU work of everybody
        // else queues behind them (pool starvation). Read the uploads where waiting costs
        // nothing to the pools, and keep `cpu` for the shrinking.
        let made: Vec<T> = uploads.par_iter().map(|name| shrink(&read(name))).collect();
        let _ = send_thumbnails.send(made);
    });
    thumbnails
        .await
        .expect("the thumbnail job panicked before sending its result")
}
