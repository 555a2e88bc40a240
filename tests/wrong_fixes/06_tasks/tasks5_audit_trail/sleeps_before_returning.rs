//! Wrong fix: gives the background writes a second to finish before returning: a guess, which a
//! slower compliance service outlasts.
// expect fail: is a guess
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
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}
