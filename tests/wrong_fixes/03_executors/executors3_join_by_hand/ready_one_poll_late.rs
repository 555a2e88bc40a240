//! Wrong fix: keeps both outputs and polls only unfinished futures, but looks for "both done"
//! only at the top of `poll`: when the second future finishes, `Join2` wakes itself and
//! returns `Pending`, to be ready one poll later.
// expect fail: Join2 is ready one poll late
//! A travel app's dashboard shows the weather and the traffic side by side. Each comes from a
//! slow service of its own, so both should be fetched at the same time: that is what a *join*
//! does, and here you write one by hand. `join2(a, b)` is a future that drives both `a` and
//! `b` in the task that polls it, and resolves to `(a's output, b's output)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Two futures run at once, in the task that polls the `Join2`.
pub struct Join2<A: Future, B: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    a_out: Option<A::Output>,
    b_out: Option<B::Output>,
}

// `Join2` pins nothing in place itself (its futures are boxed), so it may move freely.
impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Box::pin(a),
        b: Box::pin(b),
        a_out: None,
        b_out: None,
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.a_out.is_some() && this.b_out.is_some() {
            return Poll::Ready((this.a_out.take().unwrap(), this.b_out.take().unwrap()));
        }
        if this.a_out.is_none() {
            if let Poll::Ready(a) = this.a.as_mut().poll(cx) {
                this.a_out = Some(a);
            }
        }
        if this.b_out.is_none() {
            if let Poll::Ready(b) = this.b.as_mut().poll(cx) {
                this.b_out = Some(b);
            }
        }
        if this.a_out.is_some() && this.b_out.is_some() {
            // Both done now: come back for the outputs.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
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
