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
        // Each guard lives for one statement: look up, copy the price out, let go. No guard
        // may be alive at an `.await`: while this lookup is suspended, other lookups on the
        // same thread must be able to take the lock.
        let cached = self.prices.lock().unwrap().get(symbol).copied();
        if let Some(price) = cached {
            return price;
        }
        // No lock held while the quote service takes its time: cached symbols are served, and
        // other missing symbols fetched, meanwhile.
        let price = (self.fetch)(symbol.to_string()).await;
        // Two lookups of the same missing symbol may both fetch it; the later price wins, and
        // both are fresh. (To share one fetch, keep a per-symbol `tokio::sync::OnceCell`.)
        self.prices
            .lock()
            .unwrap()
            .insert(symbol.to_string(), price);
        price
    }
}
