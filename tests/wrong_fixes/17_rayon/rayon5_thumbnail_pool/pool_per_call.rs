//! Wrong fix: keeps only the size and builds a new pool inside every call of `resize_all`: it
//! works, but every call starts (and stops) a whole pool of threads.
// expect fail: each call started threads of its own
//! A photo-sharing service makes thumbnails of every upload. It must not take over rayon's
//! global pool, which the rest of the service uses for search and feeds: thumbnails get a pool
//! of their own, with as many threads as the operator configures.
//!
//! `ThumbnailPool::new(threads)` builds the service and its rayon pool of `threads` threads (or
//! returns rayon's error). `resize_all(images, resize)` runs `resize` on every image, on that
//! pool, several at once, and returns the thumbnails in the order of `images`.

use rayon::prelude::*;
use rayon::{ThreadPoolBuildError, ThreadPoolBuilder};

pub struct Image {
    pub name: String,
    pub width: u32,
    pub height: u32,
}

pub struct Thumbnail {
    pub name: String,
    pub width: u32,
    pub height: u32,
}

pub struct ThumbnailPool {
    threads: usize,
}

impl ThumbnailPool {
    pub fn new(threads: usize) -> Result<Self, ThreadPoolBuildError> {
        Ok(ThumbnailPool { threads })
    }

    /// How many threads the service was given.
    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn resize_all(
        &self,
        images: &[Image],
        resize: impl Fn(&Image) -> Thumbnail + Sync + Send,
    ) -> Vec<Thumbnail> {
        let pool = ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .expect("a pool of this size was built before");
        pool.install(|| images.par_iter().map(resize).collect())
    }
}
