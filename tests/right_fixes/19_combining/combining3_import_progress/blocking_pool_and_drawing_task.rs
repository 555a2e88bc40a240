//! Correct alternative: `spawn_blocking` around `par_iter`, an atomic count published with `send_if_modified`, and a separate drawing task joined at the end
//! A photo library imports a folder: every photo gets a thumbnail, made on rayon's pool by
//! `thumbnail` (decoding and resizing: CPU work, a while per photo). An import can take
//! minutes, so the app shows a progress bar. `show` redraws it; it belongs to the app's async
//! side, so it is called from the async code, never from rayon's threads.
//!
//! Done when: `import_photos(photos, thumbnail, show)` returns the thumbnails in the order of
//! the photos, made on rayon's threads while the runtime's other tasks keep running; the bar
//! moves *while* the thumbnails are made: rayon's side reports each finished photo over a
//! `tokio::sync::watch` channel, and the async side redraws the bar with what it receives; the
//! bar never goes backwards, and its last drawing shows every photo done (`done == total`, so
//! `0 of 0` for an empty folder); the future stays `Send`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use tokio::sync::watch;
use tokio::task::spawn_blocking;

pub struct Photo {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub name: String,
    pub pixels: Vec<u8>,
}

/// How far the import is: `done` photos of `total` have their thumbnail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// The image library's thumbnailer: CPU work, a while per photo.
pub type Thumbnailer = Arc<dyn Fn(&Photo) -> Thumbnail + Send + Sync>;

pub async fn import_photos(
    photos: Vec<Photo>,
    thumbnail: Thumbnailer,
    mut show: impl FnMut(Progress) + Send + 'static,
) -> Vec<Thumbnail> {
    let total = photos.len();
    let (progress, mut bar) = watch::channel(Progress { done: 0, total });
    let finished = AtomicUsize::new(0);
    let job = spawn_blocking(move || {
        photos
            .par_iter()
            .map(|photo| {
                let made = thumbnail(photo);
                let count = finished.fetch_add(1, Ordering::Relaxed) + 1;
                // Keep the largest count seen: a worker that was slower to publish its count
                // must not move the bar back.
                progress.send_if_modified(|now| {
                    let forward = count > now.done;
                    if forward {
                        now.done = count;
                    }
                    forward
                });
                made
            })
            .collect::<Vec<Thumbnail>>()
    });
    let drawing = tokio::spawn(async move {
        let mut last = None;
        loop {
            let now = *bar.borrow_and_update();
            if last != Some(now) {
                show(now);
                last = Some(now);
            }
            if bar.changed().await.is_err() {
                // The job is over and its sender gone: one last look, in case a value came
                // with the close.
                let now = *bar.borrow();
                if last != Some(now) {
                    show(now);
                }
                break;
            }
        }
    });
    let (made, drawn) = tokio::join!(job, drawing);
    drawn.expect("the drawing task never panics");
    made.unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
}
