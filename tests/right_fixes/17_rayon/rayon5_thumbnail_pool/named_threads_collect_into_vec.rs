//! Correct alternative: a pool with named threads, results gathered with collect_into_vec
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
    pool: rayon::ThreadPool,
}

impl ThumbnailPool {
    pub fn new(threads: usize) -> Result<Self, ThreadPoolBuildError> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("thumbnail-{i}"))
            .build()
            .map(|pool| ThumbnailPool { pool })
    }

    /// How many threads the service was given.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn resize_all(
        &self,
        images: &[Image],
        resize: impl Fn(&Image) -> Thumbnail + Sync + Send,
    ) -> Vec<Thumbnail> {
        let mut thumbnails = Vec::with_capacity(images.len());
        self.pool.install(|| {
            images
                .par_iter()
                .map(&resize)
                .collect_into_vec(&mut thumbnails)
        });
        thumbnails
    }
}
