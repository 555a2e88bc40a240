//! Cheat (or accident): a cache whose `Drop` panics during a panic, so the grader's failing
//! assertion panics again while unwinding and the process aborts.
// expect fail: a panic while another panic was unwinding
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
    pub fn lookup(&self, _product: &str) -> Lookup {
        Lookup { answer: Some(1) }
    }
}

/// A lookup in the cache. Its answer was found when it was created.
pub struct Lookup {
    answer: Option<u32>,
}

impl Drop for PriceCache {
    fn drop(&mut self) {
        if std::thread::panicking() {
            panic!("the cache was dropped during a panic");
        }
    }
}

impl Future for Lookup {
    type Output = Option<u32>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(self.answer)
    }
}
