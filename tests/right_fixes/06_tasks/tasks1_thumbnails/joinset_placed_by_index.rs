//! Correct alternative: a `JoinSet`, each result put back at its photo's index.
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
    let mut tasks = tokio::task::JoinSet::new();
    let count = photos.len();
    for (index, photo) in photos.into_iter().enumerate() {
        let render = render(photo);
        tasks.spawn(async move { (index, render.await) });
    }
    let mut slots: Vec<Option<Thumbnail>> = vec![None; count];
    while let Some(joined) = tasks.join_next().await {
        let (index, thumbnail) = joined.expect("a render task panicked");
        slots[index] = Some(thumbnail);
    }
    slots.into_iter().flatten().collect()
}
