//! Correct alternative: ThreadPool::scope spawning one task per image, each filling its own slot
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
        // `ThreadPool::scope` runs inside the pool, and so do the tasks it spawns; each task
        // writes the slot of its own image, so the order is kept without any lock.
        let mut slots: Vec<Option<Thumbnail>> = images.iter().map(|_| None).collect();
        let resize = &resize;
        self.pool.scope(|scope| {
            for (slot, image) in slots.iter_mut().zip(images) {
                scope.spawn(move |_| *slot = Some(resize(image)));
            }
        });
        slots
            .into_iter()
            .map(|slot| slot.expect("the scope waits for every task"))
            .collect()
    }
}
