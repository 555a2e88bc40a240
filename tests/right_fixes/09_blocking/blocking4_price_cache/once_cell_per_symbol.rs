//! Correct alternative: a tokio Mutex held only to find a per-symbol OnceCell; one fetch per symbol, shared.
//! A trading dashboard shows prices from a cache in front of the quote service.
//!
//! `PriceCache::new(fetch)` starts empty. `cache.price(symbol)` returns the cached price of
//! `symbol`, or fetches it with `fetch(symbol).await` (a request to the quote service, which
//! can take seconds), keeps it, and returns it. The dashboard looks up many symbols at once:
//! concurrent futures of one task, and tasks on one thread.
//!
//! Done when: a lookup of a cached symbol returns at once, even while another symbol is being
//! fetched; lookups of different missing symbols fetch at the same time; once a symbol's price
//! is cached it is never fetched again; no lookup blocks the runtime's thread.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

pub struct PriceCache<F> {
    // One cell per symbol ever asked for: the map's lock is only held to find (or add) the
    // cell, and the cell itself makes concurrent lookups of one symbol share a single fetch.
    cells: Mutex<HashMap<String, Arc<OnceCell<u64>>>>,
    fetch: F,
}

impl<F, Fut> PriceCache<F>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = u64>,
{
    pub fn new(fetch: F) -> Self {
        PriceCache {
            cells: Mutex::new(HashMap::new()),
            fetch,
        }
    }

    /// The price of `symbol` in cents: from the cache, or fetched, kept and returned.
    pub async fn price(&self, symbol: &str) -> u64 {
        let cell = {
            let mut cells = self.cells.lock().await;
            Arc::clone(cells.entry(symbol.to_owned()).or_default())
        };
        *cell.get_or_init(|| (self.fetch)(symbol.to_owned())).await
    }
}
