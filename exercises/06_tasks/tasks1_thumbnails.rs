//! A photo-sharing site makes a thumbnail of every photo in an album that was just uploaded.
//! Each render waits on the image service (`render` is its client), so the renders of one album
//! should all wait at the same time: each one runs as a task of its own on the runtime.
//!
//! Right now `render_album` does spawn a task per photo, but it waits for that task before it
//! spawns the next one: an album of ten photos takes as long as its ten renders added up.
//!
//! Done when: `render_album` has every photo's render running, each in a task of its own,
//! before it waits for any of them; returns as soon as the slowest render is done (not after
//! the sum of them), with no render still running once it has returned; and returns one
//! thumbnail per photo, in the album's order whatever order the renders finish in. Each photo
//! is rendered once; an empty album returns no thumbnails at once.

use std::future::Future;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub photo: u32,
    pub bytes: usize,
}

/// Renders a thumbnail of every photo of the album (given by id), with the image service's
/// client `render`.
pub async fn render_album<R, F>(photos: Vec<u32>, render: R) -> Vec<Thumbnail>
where
    R: Fn(u32) -> F,
    F: Future<Output = Thumbnail> + Send + 'static,
{
    let mut thumbnails = Vec::with_capacity(photos.len());
    for photo in photos {
        let task = tokio::spawn(render(photo));
        // TODO: the next photo's task is only spawned once this one has finished.
        thumbnails.push(task.await.expect("a render task panicked"));
    }
    thumbnails
}
