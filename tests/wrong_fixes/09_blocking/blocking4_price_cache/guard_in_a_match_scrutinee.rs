//! Wrong fix: looks the price up in a match on the locked map: the scrutinee's guard lives through the arms, across the fetch.
// expect fail: after its fetch came back: the guard it took to look ZETA up was still alive
//! A trading dashboard shows prices from a cache in front of the quote service.
//!
//! `PriceCache::new(fetch)` starts empty. `cache.price(symbol)` returns the cached price of
//! `symbol`, or fetches it with `fetch(symbol).await` (a request to the quote service, which
//! can take seconds), keeps it, and returns it. The dashboard looks up many symbols at once:
//! concurrent futures of one task, and tasks on one thread.
//!
//! The prices sit behind a `std::sync::Mutex`, and `price` keeps the guard while it awaits the
//! fetch. A second lookup meanwhile calls `lock()`, which *blocks the thread* until the guard
//! is gone; but the guard belongs to a lookup that can only resume on that very thread.
//!
//! Done when: a lookup of a cached symbol returns at once, even while another symbol is being
//! fetched; lookups of different missing symbols fetch at the same time; once a symbol's price
//! is cached it is never fetched again; no lookup blocks the runtime's thread, or keeps waking
//! itself while it waits.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct PriceCache<F> {
    prices: Mutex<HashMap<String, u64>>,
    fetch: F,
}

impl<F, Fut> PriceCache<F>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = u64>,
{
    pub fn new(fetch: F) -> Self {
        PriceCache {
            prices: Mutex::new(HashMap::new()),
            fetch,
        }
    }

    /// The price of `symbol` in cents: from the cache, or fetched, kept and returned.
    pub async fn price(&self, symbol: &str) -> u64 {
        match self.prices.lock().unwrap().get(symbol).copied() {
            Some(price) => price,
            None => {
                let price = (self.fetch)(symbol.to_string()).await;
                self.prices
                    .lock()
                    .unwrap()
                    .insert(symbol.to_string(), price);
                price
            }
        }
    }
}
