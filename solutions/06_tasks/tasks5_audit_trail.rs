//! A shop's checkout service works through a batch of orders: it confirms each one at once,
//! writes its audit entry in a background task, and waits for every write before it returns.

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
    let mut audits = Vec::with_capacity(orders.len());
    for order in orders {
        confirm(&order);
        // Still fire and forget for the customers: nobody waits for this write here...
        audits.push(tokio::spawn(audit(order)));
    }
    // ...but the batch does, before it returns: once it has, `main` returns and the runtime
    // drops whatever task is still running, halfway through its write. The writes run at the
    // same time, so this takes as long as the slowest of them.
    for audit in audits {
        audit.await.expect("an audit task panicked");
    }
}
