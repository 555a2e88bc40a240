//! Wrong fix: keeps `a`'s output and never polls it again, but still polls `b` only once `a`
//! has finished: correct outputs, but the two fetches run one after the other.
// expect fail: polled the weather fetch but not the traffic fetch
//! A travel app's dashboard shows the weather and the traffic side by side. Each comes from a
//! slow service of its own, so both should be fetched at the same time: that is what a *join*
//! does, and here you write one by hand. `join2(a, b)` is a future that drives both `a` and
//! `b` in the task that polls it, and resolves to `(a's output, b's output)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Two futures run at once, in the task that polls the `Join2`.
pub struct Join2<A: Future, B: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    /// `a`'s output, once it has finished.
    a_output: Option<A::Output>,
}

// `Join2` pins nothing in place itself (its futures are boxed), so it may move freely.
impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Box::pin(a),
        b: Box::pin(b),
        a_output: None,
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.a_output.is_none() {
            this.a_output = Some(ready!(this.a.as_mut().poll(cx)));
        }
        let b = ready!(this.b.as_mut().poll(cx));
        let a = this.a_output.take().expect("a finished first");
        Poll::Ready((a, b))
    }
}

/// The dashboard's headline: the weather and the traffic, fetched side by side.
pub async fn dashboard(
    weather: impl Future<Output = String>,
    traffic: impl Future<Output = String>,
) -> String {
    let (weather, traffic) = join2(weather, traffic).await;
    format!("{weather} · {traffic}")
}
