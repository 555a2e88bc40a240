//! Correct alternative: built on the futures crate's `MaybeDone`, which keeps a finished future's output and never polls it again
//! A travel app's dashboard shows the weather and the traffic side by side. Each comes from a
//! slow service of its own, so both should be fetched at the same time: that is what a *join*
//! does, and here you write one by hand.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::{MaybeDone, maybe_done};

/// Two futures run at once, in the task that polls the `Join2`.
pub struct Join2<A: Future, B: Future> {
    a: Pin<Box<MaybeDone<A>>>,
    b: Pin<Box<MaybeDone<B>>>,
}

impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Box::pin(maybe_done(a)),
        b: Box::pin(maybe_done(b)),
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A `MaybeDone` that is done answers Ready again without polling its future.
        let a_done = self.a.as_mut().poll(cx).is_ready();
        let b_done = self.b.as_mut().poll(cx).is_ready();
        if !(a_done && b_done) {
            return Poll::Pending;
        }
        let a = self.a.as_mut().take_output().expect("a is done");
        let b = self.b.as_mut().take_output().expect("b is done");
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
