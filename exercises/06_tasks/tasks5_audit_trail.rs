//! A shop's checkout service works through a batch of orders. It confirms each order to its
//! customer right away, and records an audit entry for it with the compliance service: a slow
//! remote write that must not hold up the next customer. So each audit write runs in a task of
//! its own, spawned and left to run in the background.
//!
//! `process_batch` is all that the service's `main` runs: when it returns, `main` returns, the
//! runtime shuts down, and every task still running is dropped wherever it stands.
//!
//! Right now the compliance team finds orders without any audit entry, and entries cut off in
//! the middle.
//!
//! Done when: every order is confirmed at once, without waiting for any audit write; every
//! order's audit entry is written in full before `process_batch` returns, however slow the
//! compliance service is that day; and `process_batch` returns as soon as the last write is
//! done. No orders: nothing to confirm, nothing to wait for.

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
        // Fire and forget: the next customer does not wait for the compliance service.
        tokio::spawn(audit(order));
    }
    // TODO: what becomes of the audit writes still running when this returns?
}
