//! A photo library imports a folder: every photo gets a thumbnail, made on rayon's pool by
//! `thumbnail` (decoding and resizing: CPU work, a while per photo). An import can take
//! minutes, so the app shows a progress bar. `show` redraws it; it belongs to the app's async
//! side, so it is called from the async code, never from rayon's threads.
//!
//! `import_photos` hands the photos to one rayon job; each worker that finishes a photo counts
//! it in the watch channel, and the async side redraws the bar whenever the value changes.

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
                // `send_modify` changes the value in place, under the channel's lock: two
                // workers that finish at once each add their photo, and the count never
                // goes backwards (reading a counter, then sending it, could).
                progress.send_modify(|now| now.done += 1);
                made
            })
            .collect();
        let _ = done.send(made);
        // `progress` is dropped here, after the last photo was counted: that closes the
        // channel, which is how the async side learns that the import is over.
    });

    // `borrow_and_update` returns a `Ref`: a read lock on the channel's value, which lasts
    // until the end of the statement that took it. Copy the value out first and draw it
    // afterwards: `show(*bar.borrow_and_update())` would hold the lock during the whole
    // drawing, and every worker finishing a photo meanwhile would wait for it. (Kept across an
    // `.await`, a `Ref` would also make this future non-`Send`.)
    // The bar starts at 0 of `total` (for an empty folder, that is also the end).
    let start = *bar.borrow_and_update();
    show(start);
    // `changed` waits without holding the thread, and wakes on any value not seen yet. The
    // watch channel keeps only the latest value, so the bar may skip counts when photos finish
    // faster than it redraws, but never the last one: once the sender is gone, `changed` still
    // reports an unseen value first, and only then an error.
    while bar.changed().await.is_ok() {
        let now = *bar.borrow_and_update();
        show(now);
    }
    // A panic inside a `rayon::spawn` job aborts the process, so the job always answers.
    thumbnails.await.expect("the thumbnail job always answers")
}
