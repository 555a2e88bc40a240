//! Wrong fix (found by the stranger run): keeps only the last audit task's handle and awaits
//! it, as if the last write spawned were the last to finish.
// expect fail: but not for every write
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
    let mut last = None;
    for order in orders {
        confirm(&order);
        last = Some(tokio::spawn(audit(order)));
    }
    if let Some(h) = last {
        let _ = h.await;
    }
}
