//! Closing time at a bakery: the till should hold the morning's float plus the price of every
//! sale of the day. Pricing one sale (tax, the day's offers, loyalty points) takes a while, and
//! a busy day has thousands of sales, so the shop wants every core on it.
//!
//! `expected_cash(float_cents, sales, price_sale)` returns, in cents, `float_cents` plus
//! `price_sale(sale)` for every sale. It is called from inside a rayon pool (the shop's own, or
//! rayon's global one) and must use that pool.

use rayon::prelude::*;

/// One receipt from the till.
#[derive(Debug, Clone)]
pub struct Sale {
    pub receipt: u32,
    pub items: u32,
    pub list_cents: u64,
}

/// The cash the till should hold at closing time, in cents.
pub fn expected_cash(
    float_cents: u64,
    sales: &[Sale],
    price_sale: impl Fn(&Sale) -> u64 + Sync + Send,
) -> u64 {
    // `par_iter` runs on the pool we are called from. Rayon splits the slice in halves and
    // leaves the halves where idle workers can steal them, so several sales are priced at once.
    // `map` + `sum` has no shared state: each worker adds up its own part, and rayon adds the
    // parts together.
    let takings: u64 = sales.par_iter().map(price_sale).sum();
    // The float is added once, outside the parallel part. Starting a parallel `fold` from the
    // float (`fold(|| float_cents, ..)`) would add it once for every piece rayon splits the
    // sales into, and that number changes with the pool's size and with work stealing.
    float_cents + takings
}
