//! Wrong fix: confirms every order first, then awaits each write in turn: every entry is written
//! and nobody waits, but the writes take turns, and the batch ends with the sum of their times.
// expect fail: the writes took turns
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
    let mut writes = Vec::with_capacity(orders.len());
    for order in orders {
        confirm(&order);
        writes.push(audit(order));
    }
    for write in writes {
        write.await;
    }
}
