//! Correct alternative: no tasks: confirm every order first, then poll all the writes together
//! with `join_all`.
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
    futures::future::join_all(writes).await;
}
