//! A photo-sharing site makes a thumbnail of every photo in an album that was just uploaded:
//! every render runs as a task of its own, and all of them wait on the image service at once.

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
    // Spawn them all first: a task starts running when it is spawned, not when its handle is
    // awaited. Keeping the handles in the album's order keeps the results in that order too.
    let tasks: Vec<_> = photos
        .into_iter()
        .map(|photo| tokio::spawn(render(photo)))
        .collect();
    let mut thumbnails = Vec::with_capacity(tasks.len());
    for task in tasks {
        // While this waits for one task, the others keep running: the loop takes as long as
        // the slowest render, not the sum of them.
        thumbnails.push(task.await.expect("a render task panicked"));
    }
    thumbnails
}
