//! Grades `process_batch` on a paused clock, the way `main` runs it: when it returns, the run is
//! over and its runtime shuts down, dropping every task still running. The grader's audit
//! write begins an entry, waits for the compliance service (a latency of its own per order, in
//! virtual time) and completes the entry; the grader's `confirm` notes when each customer got
//! their confirmation. The facts that decide: which entries were completed, cut off (begun and
//! dropped) or never begun once the runtime was gone, when each order was confirmed, and when
//! `process_batch` returned.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::{Order, process_batch};

/// One order's audit entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Entry {
    #[default]
    NeverBegun,
    /// Begun, not completed (the write was dropped halfway, or is still running).
    CutOff,
    Completed,
}

#[derive(Default)]
struct Record {
    entries: BTreeMap<u32, Entry>,
    /// When each write began and completed (virtual time).
    began_at: BTreeMap<u32, Duration>,
    completed_at: BTreeMap<u32, Duration>,
    writes: BTreeMap<u32, usize>,
    /// When each order was confirmed (virtual time), in the order of the calls.
    confirmed: Vec<(u32, Duration)>,
}

/// What one batch did, once its runtime had shut down.
struct Outcome {
    returned_at: Duration,
    record: Record,
}

/// A span of virtual time for a verdict: "300 ms", "45.00 s".
fn ms(duration: Duration) -> String {
    format_duration(duration)
}

fn order(id: u32) -> Order {
    Order {
        id,
        customer: format!("customer-{id}"),
        cents: u64::from(id) * 1_99,
    }
}

/// Runs `process_batch` over `batch` (order id, audit latency in ms), as `main` would.
fn run_batch(batch: &[(u32, u64)]) -> Outcome {
    let batch = batch.to_vec();
    let record: Arc<Mutex<Record>> = Arc::default();
    let in_run = Arc::clone(&record);
    let returned_at = paused_clock()
        .on_blocked(
            "process_batch held the runtime's thread (a thread sleep or a block_on inside async \
             code?); the audit writes could not run meanwhile; wait for them with .await",
        )
        .would_hang_after(
            Duration::from_secs(600),
            "every audit write ends after its latency: wait for each one, nothing else",
        )
        .run(move || async move {
            let origin = Instant::now();
            let latencies: BTreeMap<u32, u64> = batch.iter().copied().collect();
            let confirm = {
                let record = Arc::clone(&in_run);
                move |order: &Order| {
                    record
                        .lock()
                        .unwrap()
                        .confirmed
                        .push((order.id, origin.elapsed()));
                }
            };
            let audit = {
                let record = Arc::clone(&in_run);
                move |order: Order| {
                    let latency =
                        Duration::from_millis(latencies.get(&order.id).copied().unwrap_or(0));
                    let record = Arc::clone(&record);
                    async move {
                        assert_eq!(order.customer, format!("customer-{}", order.id));
                        {
                            let mut record = record.lock().unwrap();
                            *record.writes.entry(order.id).or_default() += 1;
                            record.entries.insert(order.id, Entry::CutOff);
                            record.began_at.insert(order.id, origin.elapsed());
                        }
                        sleep(latency).await;
                        record
                            .lock()
                            .unwrap()
                            .entries
                            .insert(order.id, Entry::Completed);
                        record
                            .lock()
                            .unwrap()
                            .completed_at
                            .insert(order.id, origin.elapsed());
                    }
                }
            };
            let orders = batch.iter().map(|&(id, _)| order(id)).collect();
            process_batch(orders, confirm, audit).await;
            origin.elapsed()
        });
    // The run is over: its runtime has shut down, as it does when `main` returns.
    let record = std::mem::take(&mut *record.lock().unwrap());
    Outcome {
        returned_at,
        record,
    }
}

/// Fails unless every order's entry was completed, exactly once.
fn check_every_entry_written(batch: &[(u32, u64)], outcome: &Outcome) {
    let mut cut_off = Vec::new();
    let mut never = Vec::new();
    for &(id, latency) in batch {
        match outcome.record.entries.get(&id).copied().unwrap_or_default() {
            Entry::Completed => {}
            Entry::CutOff => cut_off.push(format!("order {id} ({})", ms(latency_of(latency)))),
            Entry::NeverBegun => never.push(format!("order {id} ({})", ms(latency_of(latency)))),
        }
    }
    if cut_off.is_empty() && never.is_empty() {
        for &(id, _) in batch {
            let writes = outcome.record.writes.get(&id).copied().unwrap_or(0);
            assert!(
                writes == 1,
                "the audit entry of order {id} was written {writes} times: once per order"
            );
        }
        return;
    }
    let mut lost = Vec::new();
    if !cut_off.is_empty() {
        lost.push(format!("cut off halfway: {}", cut_off.join(", ")));
    }
    if !never.is_empty() {
        lost.push(format!("never even begun: {}", never.join(", ")));
    }
    // What the batch waited for before returning: some writes (those that completed at the
    // very moment it returned), a pause of its own, or nothing at all.
    let awaited: Vec<String> = outcome
        .record
        .completed_at
        .iter()
        .filter(|&(_, &at)| at == outcome.returned_at && at > Duration::ZERO)
        .map(|(id, _)| format!("order {id}"))
        .collect();
    let guess = if !awaited.is_empty() {
        format!(
            " (it waited for the write of {}, but not for every write)",
            awaited.join(", ")
        )
    } else if outcome.returned_at > Duration::ZERO {
        format!(
            " (a pause of {} before returning is a guess, which a slower write outlasts)",
            ms(outcome.returned_at)
        )
    } else {
        String::new()
    };
    panic!(
        "process_batch returned at {} of virtual time{guess}, and then the runtime shut down, \
         as it does when main returns, dropping the audit writes still running: entries {}; a \
         spawned task is not a promise that its work gets done: wait for every audit write \
         before the batch returns",
        ms(outcome.returned_at),
        lost.join("; ")
    );
}

fn check_confirmed_at_once(batch: &[(u32, u64)], outcome: &Outcome) {
    let ids: Vec<u32> = batch.iter().map(|&(id, _)| id).collect();
    let confirmed: Vec<u32> = outcome.record.confirmed.iter().map(|&(id, _)| id).collect();
    assert!(
        confirmed == ids,
        "the orders {ids:?} were confirmed as {confirmed:?}: confirm each order once, in the \
         batch's order"
    );
    if let Some(&(id, at)) = outcome
        .record
        .confirmed
        .iter()
        .find(|&&(_, at)| at > Duration::ZERO)
    {
        let position = ids.iter().position(|&i| i == id).unwrap_or(0);
        let before: Vec<String> = batch[..position]
            .iter()
            .map(|&(id, latency)| format!("order {id} ({})", ms(latency_of(latency))))
            .collect();
        panic!(
            "the customer of order {id} got their confirmation only at {} of virtual time, \
             after the audit write(s) of {}: the checkout waited for each write before it \
             confirmed the next customer; let the writes run in the background while the next \
             customers are confirmed, and wait for them only once the whole batch is confirmed",
            ms(at),
            before.join(", ")
        );
    }
}

fn latency_of(latency: u64) -> Duration {
    Duration::from_millis(latency)
}

/// Fails when a write began only after another had completed: the writes took turns.
fn check_writes_at_once(outcome: &Outcome) {
    let record = &outcome.record;
    for (&id, &began) in &record.began_at {
        if let Some((&before, &done)) = record
            .completed_at
            .iter()
            .find(|&(&other, &done)| other != id && done <= began && done > Duration::ZERO)
        {
            panic!(
                "the audit write of order {id} began only at {} of virtual time, once the write \
                 of order {before} was done (at {}): the writes took turns, so the batch took \
                 {} where the slowest write alone takes {}; start every write before waiting \
                 for any of them",
                ms(began),
                ms(done),
                ms(outcome.returned_at),
                ms(record
                    .completed_at
                    .values()
                    .zip(record.began_at.values())
                    .map(|(done, began)| done.saturating_sub(*began))
                    .max()
                    .unwrap_or_default())
            );
        }
    }
}

const BATCH: [(u32, u64); 4] = [(1001, 300), (1002, 1200), (1003, 50), (1004, 700)];

#[test]
fn every_audit_entry_is_written_before_the_batch_returns() {
    let outcome = run_batch(&BATCH);
    check_every_entry_written(&BATCH, &outcome);
    check_confirmed_at_once(&BATCH, &outcome);
    check_writes_at_once(&outcome);
    assert!(
        outcome.returned_at == Duration::from_millis(1200),
        "the slowest audit write takes 1200 ms, but process_batch returned after {} of \
         virtual time: the writes run at once, so return as soon as the last one is done",
        ms(outcome.returned_at)
    );
}

#[test]
fn confirms_every_order_without_waiting_for_audits() {
    let outcome = run_batch(&BATCH);
    check_confirmed_at_once(&BATCH, &outcome);
}

#[test]
fn a_very_slow_compliance_service_still_gets_every_entry() {
    let slow = [(7, 90_000), (8, 5), (9, 45_000)];
    let outcome = run_batch(&slow);
    check_every_entry_written(&slow, &outcome);
    check_confirmed_at_once(&slow, &outcome);
    // Instant writes are no excuse either way.
    let instant = [(31, 0), (32, 0)];
    let outcome = run_batch(&instant);
    check_every_entry_written(&instant, &outcome);
    check_confirmed_at_once(&instant, &outcome);
}

#[test]
fn no_orders_nothing_to_wait_for() {
    let outcome = run_batch(&[]);
    assert!(
        outcome.record.confirmed.is_empty() && outcome.record.writes.is_empty(),
        "no orders, but something was confirmed or audited"
    );
    assert!(
        outcome.returned_at == Duration::ZERO,
        "no orders, but process_batch took {} of virtual time: there is nothing to wait for",
        ms(outcome.returned_at)
    );
}
