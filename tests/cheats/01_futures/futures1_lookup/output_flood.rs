//! Cheat (or accident): a megabyte of debug output before the wrong answer, hoping the
//! verdict is lost in it.
// expect fail: the lookup of "tea" (cached at 350 cents) answered
use std::collections::HashMap;
use std::future::Future;
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
        for line in 0..20_000 {
            eprintln!("debug {line}: looking up {product} in {} prices", self.prices.len());
            println!("debug {line}: still looking up {product}");
        }
        Lookup { answer: Some(1) }
    }
}

/// A lookup in the cache. Its answer was found when it was created.
pub struct Lookup {
    answer: Option<u32>,
}

impl Future for Lookup {
    type Output = Option<u32>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(self.answer)
    }
}
