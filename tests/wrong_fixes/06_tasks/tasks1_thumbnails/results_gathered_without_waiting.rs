//! Wrong fix: spawns every render at once, each pushing its thumbnail into a shared `Vec`, and
//! returns that `Vec` without waiting for the tasks: the handles are dropped, the results never
//! collected.
// expect fail: never collected
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
    let thumbnails = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for photo in photos {
        let thumbnails = std::sync::Arc::clone(&thumbnails);
        let render = render(photo);
        tokio::spawn(async move {
            let thumbnail = render.await;
            thumbnails.lock().unwrap().push(thumbnail);
        });
    }
    let thumbnails = thumbnails.lock().unwrap().clone();
    thumbnails
}
