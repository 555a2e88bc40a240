//! A travel app's dashboard shows the weather and the traffic side by side. Each comes from a
//! slow service of its own, so both should be fetched at the same time: that is what a *join*
//! does, and here you write one by hand. `join2(a, b)` is a future that drives both `a` and
//! `b` in the task that polls it, and resolves to `(a's output, b's output)`.
//!
//! Each poll of `Join2` polls each future that has not finished yet, passing its own `cx` on
//! (either of them may wake the task). A future that has finished must not be polled again,
//! so `Join2` has to remember which one finished, and keep its output until the other is done.
//!
//! Done when: the first poll of `Join2` polls both futures; no future is polled after it
//! returned `Ready`; no output is lost; `Join2` is ready as soon as both are (at its first
//! poll, if both are ready at theirs); the dashboard fetches both at the same time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Two futures run at once, in the task that polls the `Join2`.
pub struct Join2<A: Future, B: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    // TODO: somewhere to keep an output until the other future has finished too.
}

// `Join2` pins nothing in place itself (its futures are boxed), so it may move freely.
impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Box::pin(a),
        b: Box::pin(b),
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: `b` is not even polled until `a` has finished. And once `a` has finished, its
        // output is thrown away whenever `b` is still pending, and `a` is polled again.
        let a = ready!(self.a.as_mut().poll(cx));
        let b = ready!(self.b.as_mut().poll(cx));
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
