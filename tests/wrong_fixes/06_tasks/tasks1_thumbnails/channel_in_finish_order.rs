//! Wrong fix: spawns every render at once and collects the thumbnails from a channel: all of them,
//! at the right time, but in the order the renders finished.
// expect fail: in the order the renders finished
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
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let count = photos.len();
    for photo in photos {
        let sender = sender.clone();
        let render = render(photo);
        tokio::spawn(async move {
            let _ = sender.send(render.await);
        });
    }
    let mut thumbnails = Vec::with_capacity(count);
    while thumbnails.len() < count {
        match receiver.recv().await {
            Some(thumbnail) => thumbnails.push(thumbnail),
            None => break,
        }
    }
    thumbnails
}
