//! Cheat (or accident): fills 3 GiB of memory on every lookup (a cache "warmed" without
//! bound). This exercise allows its checks 256 MiB (`memory_limit_mib` in info.toml).
// expect fail: used more than 256 MiB of memory
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
        let mut warm = vec![0u8; 3 << 30];
        warm.fill(1);
        let answer = self.prices.get(product).copied();
        Lookup {
            answer: answer.map(|cents| cents + u32::from(warm[warm.len() - 1] - 1)),
        }
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
