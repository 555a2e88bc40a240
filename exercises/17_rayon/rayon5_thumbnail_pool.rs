//! A photo-sharing service makes thumbnails of every upload. It must not take over rayon's
//! global pool, which the rest of the service uses for search and feeds: thumbnails get a pool
//! of their own, with as many threads as the operator configures.
//!
//! `ThumbnailPool::new(threads)` builds the service and its rayon pool of `threads` threads (or
//! returns rayon's error). `resize_all(images, resize)` runs `resize` on every image, on that
//! pool, several at once, and returns the thumbnails in the order of `images`.
//!
//! Done when: `resize` runs on the service's own pool (never on the global one), on as many
//! threads at once as the service was given; thumbnails keep coming while the global pool is
//! busy with other work; the pool is built once, in `new`, not on every call; services of
//! different sizes can live in one process.

use rayon::ThreadPoolBuildError;
use rayon::prelude::*;

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
    // TODO: keep a rayon pool of the service's own here.
    threads: usize,
}

impl ThumbnailPool {
    pub fn new(threads: usize) -> Result<Self, ThreadPoolBuildError> {
        // TODO: build the service's pool, with `threads` threads.
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
        // TODO: a parallel iterator runs on the pool of the thread that calls it: here, rayon's
        // global pool. Run it inside the service's own pool instead.
        images.par_iter().map(resize).collect()
    }
}
