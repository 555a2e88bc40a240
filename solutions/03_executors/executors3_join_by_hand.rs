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
    /// Each output, from the poll where its future finished until both have. `Some` also
    /// means "finished: do not poll it again".
    a_output: Option<A::Output>,
    b_output: Option<B::Output>,
}

// `Join2` pins nothing in place itself (its futures are boxed), so it may move freely.
impl<A: Future, B: Future> Unpin for Join2<A, B> {}

pub fn join2<A: Future, B: Future>(a: A, b: B) -> Join2<A, B> {
    Join2 {
        a: Box::pin(a),
        b: Box::pin(b),
        a_output: None,
        b_output: None,
    }
}

impl<A: Future, B: Future> Future for Join2<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Poll every future that is still running, at every poll: whichever woke the task, the
        // other may have made progress too, and polling a pending future is always allowed.
        // Both get our `cx`, so that either can wake this task.
        if this.a_output.is_none()
            && let Poll::Ready(output) = this.a.as_mut().poll(cx)
        {
            this.a_output = Some(output);
        }
        if this.b_output.is_none()
            && let Poll::Ready(output) = this.b.as_mut().poll(cx)
        {
            this.b_output = Some(output);
        }
        // Ready only once both are: the output that came first has waited in its slot.
        if this.a_output.is_some() && this.b_output.is_some() {
            let a = this.a_output.take().expect("checked just above");
            let b = this.b_output.take().expect("checked just above");
            return Poll::Ready((a, b));
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
