//! Correct alternative: each side is a small state machine (running, done with its output, taken) instead of a future plus an output slot
//! A travel app's dashboard shows the weather and the traffic side by side. Each comes from a
//! slow service of its own, so both should be fetched at the same time: that is what a *join*
//! does, and here you write one by hand.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where one side of the join stands.
enum Side<F: Future> {
    Running(Pin<Box<F>>),
    Done(F::Output),
    Taken,
}

impl<F: Future> Side<F> {
    /// Polls the future if it still runs; true once its output is waiting.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> bool {
        if let Side::Running(future) = self {
            match future.as_mut().poll(cx) {
                Poll::Ready(output) => *self = Side::Done(output),
                Poll::Pending => return false,
            }
        }
        matches!(self, Side::Done(_))
    }

    fn take(&mut self) -> F::Output {
        match mem::replace(self, Side::Taken) {
            Side::Done(output) => output,
            _ => unreachable!("taken only once done"),
        }
    }
}

/// Two futures run at once, in the task that polls the `Join2`.
pub struct Join2<A: Future, B: Future> {
    a: Side<A>,
    b: Side<B>,
}

impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Side::Running(Box::pin(a)),
        b: Side::Running(Box::pin(b)),
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Both sides are polled: no short-circuit between the two calls.
        let a_done = this.a.poll_done(cx);
        let b_done = this.b.poll_done(cx);
        if a_done && b_done {
            Poll::Ready((this.a.take(), this.b.take()))
        } else {
            Poll::Pending
        }
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
