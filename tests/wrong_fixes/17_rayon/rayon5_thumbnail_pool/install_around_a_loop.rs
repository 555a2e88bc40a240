//! Wrong fix: builds the pool and installs into it, but runs a plain sequential loop inside:
//! one of the pool's threads does all the work.
// expect fail: resized one image at a time on the service's 3-thread pool
//! A photo-sharing service makes thumbnails of every upload. It must not take over rayon's
//! global pool, which the rest of the service uses for search and feeds: thumbnails get a pool
//! of their own, with as many threads as the operator configures.
//!
//! `ThumbnailPool::new(threads)` builds the service and its rayon pool of `threads` threads (or
//! returns rayon's error). `resize_all(images, resize)` runs `resize` on every image, on that
//! pool, several at once, and returns the thumbnails in the order of `images`.

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};

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
    /// Built once: its threads start here and live as long as the service. A pool built inside
    /// `resize_all` would start (and stop) all its threads on every call.
    pool: ThreadPool,
}

impl ThumbnailPool {
    pub fn new(threads: usize) -> Result<Self, ThreadPoolBuildError> {
        // `build`, not `build_global`: the global pool can be configured only once per process,
        // before anything uses it, and it is shared with the rest of the service.
        let pool = ThreadPoolBuilder::new().num_threads(threads).build()?;
        Ok(ThumbnailPool { pool })
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
        self.pool.install(|| images.iter().map(resize).collect())
    }
}
