//! Correct alternative: the lookup wraps std::future::Ready and delegates poll to it
//! A price cache that speaks the same language as the remote price service.
//!
//! The shop asks for prices through a future: the remote service needs a network round trip,
//! so its answer comes later. The local cache must offer the same kind of API (`lookup`
//! returns a future), but its answer is known the moment you ask: either the price is cached
//! or it is not.
//!
//! A future is a value that implements [`Future`]: `type Output` is what it produces, and
//! `poll` is how an executor (or `.await`) asks "are you done?". `Poll::Ready(value)` means
//! "done, here it is"; `Poll::Pending` means "not yet, and I have arranged for the task to be
//! woken when I can make progress". Nobody arranged any such wake-up here.
//!
//! Done when: `cache.lookup("tea").await` gives `Some(price)` for a cached item and `None`
//! otherwise, and a `Lookup` is `Ready` on its very first poll.

use std::collections::HashMap;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Prices in cents, by product name.
#[derive(Default)]
pub struct PriceCache {
    prices: HashMap<String, u32>,
}

impl PriceCache {
    pub fn insert(&mut self, product: &str, cents: u32) {
        self.prices.insert(product.to_string(), cents);
    }

    /// Starts a lookup; `.await` it (or poll it) to get the price.
    pub fn lookup(&self, product: &str) -> Lookup {
        Lookup {
            answer: ready(self.prices.get(product).copied()),
        }
    }
}

/// A lookup in the cache. Its answer was found when it was created.
pub struct Lookup {
    answer: Ready<Option<u32>>,
}

impl Future for Lookup {
    /// The price in cents, or `None` when the product is not cached.
    type Output = Option<u32>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.answer).poll(cx)
    }
}
