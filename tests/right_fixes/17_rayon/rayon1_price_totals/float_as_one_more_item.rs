//! Correct alternative: the float as one more item, chained before the sales' prices
//! Closing time at a bakery: the till should hold the morning's float plus the price of every
//! sale of the day. Pricing one sale (tax, the day's offers, loyalty points) takes a while, and
//! a busy day has thousands of sales, so the shop wants every core on it.
//!
//! `expected_cash(float_cents, sales, price_sale)` returns, in cents, `float_cents` plus
//! `price_sale(sale)` for every sale. It is called from inside a rayon pool (the shop's own, or
//! rayon's global one) and must use that pool.
//!
//! Done when: several sales are priced at the same time on the caller's rayon pool; every sale
//! is priced exactly once; the float is counted exactly once however rayon splits the work (a
//! day without sales leaves just the float).

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
    // The float is a single item of its own, so it is counted once however rayon splits the
    // chain; the sales' prices are the other items.
    rayon::iter::once(float_cents)
        .chain(sales.par_iter().map(&price_sale))
        .sum()
}
