//! Correct alternative: a biased `select!` between `changed()` and the thumbnails, then one more look at the value the channel kept
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

use rayon::prelude::*;
use tokio::sync::{oneshot, watch};

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
    let (done, thumbnails) = oneshot::channel();
    rayon::spawn(move || {
        let made: Vec<Thumbnail> = photos
            .par_iter()
            .map(|photo| {
                let made = thumbnail(photo);
                progress.send_modify(|now| now.done += 1);
                made
            })
            .collect();
        let _ = done.send(made);
    });
    // Redraw while the job runs; when the result arrives, draw whatever the bar still holds.
    let mut thumbnails = thumbnails;
    let mut drawn: Option<Progress> = None;
    let made = loop {
        tokio::select! {
            biased;
            changed = bar.changed() => {
                if changed.is_err() {
                    break (&mut thumbnails).await.expect("the thumbnail job always answers");
                }
                let now = *bar.borrow_and_update();
                show(now);
                drawn = Some(now);
            }
            made = &mut thumbnails => break made.expect("the thumbnail job always answers"),
        }
    };
    let last = *bar.borrow_and_update();
    if drawn != Some(last) {
        show(last);
    }
    made
}
