use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, ThreadId};
use std::time::Duration;

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{Sale, expected_cash};

/// How long the first sale waits for a second one to be priced alongside it. Two idle workers
/// meet in microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);
/// The morning's float: not a multiple of any sale's price, so a float counted twice shows.
const FLOAT_CENTS: u64 = 15_000;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

/// A day of `count` sales, with receipt numbers other than the example's.
fn day_of_sales(count: usize) -> Vec<Sale> {
    (0..count as u64)
        .map(|i| Sale {
            receipt: 5_001 + i as u32,
            items: 1 + (i % 5) as u32,
            list_cents: 120 + (i * 37) % 900,
        })
        .collect()
}

/// The grader's pricing: 10% off from five items on, then 8% tax, rounded down.
fn price(sale: &Sale) -> u64 {
    let gross = sale.list_cents * u64::from(sale.items);
    let net = if sale.items >= 5 {
        gross * 9 / 10
    } else {
        gross
    };
    net * 108 / 100
}

/// Words a wrong total: a float counted more than once is the classic parallel-fold mistake.
fn wrong_total(got: u64, want: u64, sales: usize, threads: usize) -> String {
    let seen = format!(
        "the till came to {got} cents instead of {want} ({sales} sale(s) on a {threads}-thread \
         rayon pool)"
    );
    if got > want && (got - want).is_multiple_of(FLOAT_CENTS) {
        let times = (got - want) / FLOAT_CENTS + 1;
        format!(
            "{seen}: the morning float ({FLOAT_CENTS} cents) was counted {times} times. Rayon \
             splits the sales into pieces (it does even on one thread), and a parallel fold or \
             reduce starts every piece from its identity, so an identity must add nothing; add \
             the float once, outside the parallel part"
        )
    } else if got + FLOAT_CENTS == want {
        format!("{seen}: the morning float ({FLOAT_CENTS} cents) was left out; add it once")
    } else {
        format!(
            "{seen}: the total must be the float plus price_sale(sale) of every sale, each \
             counted once"
        )
    }
}

#[test]
fn counts_the_float_once_however_rayon_splits_the_sales() {
    // Small days first (no split is possible), then the same day on pools of different sizes:
    // rayon splits the work differently on each, and the total must not notice.
    for (count, threads) in [(0, 1), (1, 1), (128, 1), (128, 2), (128, 3)] {
        let sales = day_of_sales(count);
        let want = FLOAT_CENTS + sales.iter().map(price).sum::<u64>();
        let calls = AtomicUsize::new(0);
        let got = pool(threads).install(|| {
            expected_cash(FLOAT_CENTS, &sales, |sale| {
                calls.fetch_add(1, Ordering::SeqCst);
                price(sale)
            })
        });
        let calls = calls.into_inner();
        assert!(
            calls == count,
            "called price_sale {calls} times for {count} sale(s): price every sale exactly once"
        );
        assert!(got == want, "{}", wrong_total(got, want, count, threads));
    }
}

#[test]
fn prices_several_sales_at_the_same_time() {
    let sales = day_of_sales(64);
    // The first two sales to be priced wait for each other: they only meet if two run at once.
    let meeting = Rendezvous::new(2, PATIENCE);
    // The total is the other checks' business (it depends on the split if the float is
    // counted per piece, and that changes from run to run on two threads).
    pool(2).install(|| {
        expected_cash(FLOAT_CENTS, &sales, |sale| {
            meeting.arrive();
            price(sale)
        })
    });
    assert!(
        meeting.met(),
        "priced the {} sales one after another on the 2-thread pool: the first sale waited {} \
         for another to be priced alongside it, and none was; hand the sales to a parallel \
         iterator over the slice, so that the pool's idle worker can steal half of them (work \
         stealing)",
        sales.len(),
        seconds(PATIENCE)
    );
}

#[test]
fn prices_on_the_rayon_pool_it_is_called_from() {
    let sales = day_of_sales(128);
    let pool = pool(2);
    let pool_threads: HashSet<ThreadId> = pool
        .broadcast(|_| thread::current().id())
        .into_iter()
        .collect();
    let placement = Placement::new();
    pool.install(|| expected_cash(FLOAT_CENTS, &sales, |sale| placement.record(|| price(sale))));

    placement
        .check_on_rayon(
            "let rayon spread the sales over the pool expected_cash is called from (a parallel \
             iterator does): threads of your own ignore the pool the shop chose and its size",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    let calls = placement.calls();
    let elsewhere = calls
        .iter()
        .filter(|call| !pool_threads.contains(&call.thread))
        .count();
    assert!(
        elsewhere == 0,
        "priced {elsewhere} of {} sales on rayon workers of another pool than the caller's (a \
         pool built inside expected_cash?): use the pool you are called from, which a parallel \
         iterator does by itself",
        calls.len()
    );
}
