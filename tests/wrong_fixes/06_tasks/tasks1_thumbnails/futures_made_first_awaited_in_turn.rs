//! Wrong fix: makes every render's future first, without spawning, then awaits them one by one:
//! a future does nothing until it is polled, so each render starts only when the one before it
//! is done.
// expect fail: ran one after another
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
    let renders: Vec<F> = photos.into_iter().map(render).collect();
    let mut thumbnails = Vec::with_capacity(renders.len());
    for render in renders {
        thumbnails.push(render.await);
    }
    thumbnails
}
