//! Wrong fix: awaits each audit task right after spawning it: every entry is written, but each
//! customer waits for the compliance service to finish with the order before theirs.
// expect fail: waited for each write before it confirmed
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
        tokio::spawn(audit(order))
            .await
            .expect("an audit task panicked");
    }
}
