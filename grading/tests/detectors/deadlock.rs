use std::sync::Arc;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::Mutex;

use crate::{assert_says, verdict_of};

/// Two transfers that lock two accounts; `ordered` takes the locks in one global order.
async fn transfers(probes: Probes, ordered: bool) {
    let a = Arc::new(Mutex::new(100));
    let b = Arc::new(Mutex::new(100));
    let transfer = |from: Arc<Mutex<i32>>,
                    to: Arc<Mutex<i32>>,
                    label: &'static str,
                    probes: Probes| async move {
        let first_name = format!("{label}: lock first account");
        let second_name = format!("{label}: lock second account");
        let mut first = probes.watch(first_name, from.lock()).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut second = probes.watch(second_name, to.lock()).await;
        *first -= 10;
        *second += 10;
    };
    let (one, two) = if ordered {
        (
            tokio::spawn(transfer(a.clone(), b.clone(), "a→b", probes.clone())),
            tokio::spawn(transfer(a.clone(), b.clone(), "b→a", probes.clone())),
        )
    } else {
        (
            tokio::spawn(transfer(a.clone(), b.clone(), "a→b", probes.clone())),
            tokio::spawn(transfer(b.clone(), a.clone(), "b→a", probes.clone())),
        )
    };
    one.await.unwrap();
    two.await.unwrap();
}

#[test]
fn a_deadlock_is_stopped_and_names_what_was_pending() {
    let probes = Probes::new();
    let verdict = verdict_of(|| {
        let inside = probes.clone();
        real_clock()
            .limit(Duration::from_millis(500))
            .naming(&probes)
            .run(move || transfers(inside, false));
    });
    assert_says(
        &verdict,
        &[
            "deadlock, or never woken: the check never finished (still running at the 500 ms limit",
            "still waiting on: `a→b: lock second account` (pending, polled",
            "`b→a: lock second account` (pending, polled",
        ],
    );
    if cfg!(target_os = "linux") {
        assert_says(&verdict, &["its thread sat idle"]);
    }
}

#[test]
fn a_thread_blocked_inside_a_poll_is_named() {
    let verdict = verdict_of(|| {
        real_clock()
            .limit(Duration::from_millis(300))
            .on_block("the greeting never finished")
            .run(|| async {
                tokio::task::yield_now().await;
                // Blocks inside the poll for good, like a join of a thread that waits for us.
                std::thread::sleep(Duration::from_secs(3600));
            });
    });
    // Stopped at the limit (below HUNG), the poll in progress is named as what blocked.
    assert_says(
        &verdict,
        &[
            "the greeting never finished (one poll had not returned after ",
            "ms: it blocked the thread)",
        ],
    );
}

#[test]
fn ordered_locks_finish() {
    let probes = Probes::new();
    let inside = probes.clone();
    real_clock()
        .limit(Duration::from_secs(10))
        .naming(&probes)
        .run(move || transfers(inside, true));
    assert!(probes.waiting().is_empty(), "{:?}", probes.waiting());
    assert_eq!(probes.completed().len(), 4);
}
