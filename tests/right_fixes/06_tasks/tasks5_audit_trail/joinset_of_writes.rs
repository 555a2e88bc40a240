//! Correct alternative: the writes spawned into a `JoinSet`, drained with `join_next` at the end.
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
    let mut writes = tokio::task::JoinSet::new();
    for order in orders {
        confirm(&order);
        writes.spawn(audit(order));
    }
    while let Some(written) = writes.join_next().await {
        written.expect("an audit task panicked");
    }
}
