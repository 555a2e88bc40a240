//! Wrong fix: hands every write to a single background task that writes them in turn, and leaves
//! that task to run: the batch still returns before anything is written.
// expect fail: never even begun
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
    tokio::spawn(async move {
        for write in writes {
            write.await;
        }
    });
}
