//! Wrong fix (found by the stranger run): no tasks at all; `join_all` polls every render
//! inside `render_album`'s own future. Concurrent and in order, but every render shares one task.
// expect fail: ran in no task of their own
use std::future::Future;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub photo: u32,
    pub bytes: usize,
}

pub async fn render_album<R, F>(photos: Vec<u32>, render: R) -> Vec<Thumbnail>
where
    R: Fn(u32) -> F,
    F: Future<Output = Thumbnail> + Send + 'static,
{
    futures::future::join_all(photos.into_iter().map(|p| render(p))).await
}
