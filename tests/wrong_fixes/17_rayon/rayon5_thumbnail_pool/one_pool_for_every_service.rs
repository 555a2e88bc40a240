//! Wrong fix: "build the pool once" read as once per process: the first service builds a pool
//! kept in a static, and every later service, whatever its size, shares that one.
// expect fail: a pool shared by every service has the size of the service that built it
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

use std::sync::OnceLock;

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

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

pub struct ThumbnailPool {
    pool: &'static rayon::ThreadPool,
    threads: usize,
}

impl ThumbnailPool {
    pub fn new(threads: usize) -> Result<Self, ThreadPoolBuildError> {
        if POOL.get().is_none() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let _ = POOL.set(pool);
        }
        Ok(ThumbnailPool {
            pool: POOL.get().unwrap(),
            threads,
        })
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
        self.pool
            .install(|| images.par_iter().map(resize).collect())
    }
}
