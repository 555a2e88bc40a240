//! Correct alternative: `futures::future::join_all` over the spawned tasks' handles.
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
    let tasks = photos.into_iter().map(|photo| tokio::spawn(render(photo)));
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.expect("a render task panicked"))
        .collect()
}
