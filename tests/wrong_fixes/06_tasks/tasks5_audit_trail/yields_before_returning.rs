//! Wrong fix: yields to the runtime once before returning, so that the writes get started: they
//! start, and are cut off halfway when the runtime shuts down.
// expect fail: cut off halfway
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: u32,
    pub customer: String,
    pub cents: u64,
}

/// Confirms every order with `confirm` (quick), and has `audit` record each one (slow).
pub async fn process_batch<C, A, F>(orders: Vec<Order>, confirm: C, audit: A)
where
    C: Fn(&Order),
    A: Fn(Order) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    for order in orders {
        confirm(&order);
        tokio::spawn(audit(order));
    }
    tokio::task::yield_now().await;
}
