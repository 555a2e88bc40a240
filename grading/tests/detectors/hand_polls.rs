//! Hand polls run under the process-wide guard: one that never returns ends the check with the
//! blocking verdict after HUNG (in a child process: the guard ends the process), or, on a
//! watched thread, with the watchdog's own words.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::{assert_says, child_scenario, run_child};

const CHILD: &str = "hand_polls::child";

/// Known bad: waits inside poll on a Condvar until someone delivers (nobody will).
struct WaitsForDelivery {
    slot: Arc<(Mutex<Option<u32>>, Condvar)>,
    gives_up_after: Duration,
}

impl Future for WaitsForDelivery {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u32> {
        let (slot, delivered) = &*self.slot;
        let slot = slot.lock().unwrap();
        let (slot, _) = delivered
            .wait_timeout_while(slot, self.gives_up_after, |s| s.is_none())
            .unwrap();
        Poll::Ready(slot.unwrap_or(0))
    }
}

fn waits_for_delivery(gives_up_after: Duration) -> WaitsForDelivery {
    WaitsForDelivery {
        slot: Arc::default(),
        gives_up_after,
    }
}

#[test]
#[ignore = "run in a child process by the tests below"]
fn child() {
    match child_scenario().as_str() {
        "handpoll" => {
            let mut hand = HandPoll::new(waits_for_delivery(Duration::from_secs(3600)))
                .blocking_fix("return Pending and let deliver() wake the task");
            let _ = hand.poll();
        }
        "poll_once" => {
            let waker = CountingWaker::new();
            let mut future = std::pin::pin!(async {
                // Known bad: block_on inside a poll, on a future nobody completes.
                let (_kept, never) = futures::channel::oneshot::channel::<()>();
                let _ = futures::executor::block_on(never);
            });
            let _ = poll_once(future.as_mut(), waker.waker());
        }
        "tokio_test" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _watch = watch_runtime();
                // Known bad: a blocking channel receive inside async code.
                let (_keep, never) = std::sync::mpsc::channel::<()>();
                let _ = never.recv();
            });
        }
        "quick" => {
            let mut hand = HandPoll::new(std::future::ready(5));
            assert_eq!(hand.poll(), Poll::Ready(5));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let watch = watch_runtime();
                tokio::time::sleep(Duration::from_millis(50)).await;
                watch.check().unwrap();
            });
        }
        _ => {}
    }
}

#[test]
fn a_hand_poll_that_never_returns_is_named_by_the_guard() {
    let child = run_child(CHILD, "handpoll");
    assert_eq!(child.code, Some(101), "{}", child.stderr);
    assert_says(
        &child.stderr,
        &[
            "a poll of WaitsForDelivery had not returned after 1.",
            "s: it blocked the thread (a lock or Condvar wait, a join, a block_on, a sleep or a \
             spin inside poll); return Pending and let deliver() wake the task",
        ],
    );
    assert!(child.took < Duration::from_secs(8), "{:?}", child.took);
}

#[test]
fn poll_once_is_guarded_too() {
    let child = run_child(CHILD, "poll_once");
    assert_eq!(child.code, Some(101), "{}", child.stderr);
    assert_says(
        &child.stderr,
        &["a poll of the future had not returned after 1."],
    );
}

#[test]
fn a_tokio_test_that_blocks_its_runtime_is_named() {
    let child = run_child(CHILD, "tokio_test");
    assert_eq!(child.code, Some(101), "{}", child.stderr);
    assert_says(
        &child.stderr,
        &[
            "the runtime had stalled for 1.",
            "so no other task could run",
        ],
    );
}

#[test]
fn quick_hand_polls_and_polite_tokio_tests_pass() {
    let child = run_child(CHILD, "quick");
    assert_eq!(child.code, Some(0), "{}", child.stderr);
}

#[test]
fn on_a_watched_thread_the_watchdogs_words_win() {
    let verdict = Watchdog::new(Duration::from_secs(20), DEADLOCK)
        .on_blocked("the Parcel's poll waits for the courier")
        .try_run(|| {
            let mut hand = HandPoll::new(waits_for_delivery(Duration::from_secs(4)));
            let _ = hand.poll();
        })
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "the Parcel's poll waits for the courier (a poll of WaitsForDelivery had not returned after 1.",
        ],
    );
}

#[test]
fn a_slow_hand_poll_that_returns_is_measured() {
    let mut hand =
        HandPoll::new(waits_for_delivery(Duration::from_millis(600))).named("the Parcel");
    assert_eq!(hand.poll(), Poll::Ready(0));
    assert_says(
        &hand.check_no_blocking("let deliver() wake it").unwrap_err(),
        &["a poll of the Parcel took ", "ms: it blocked the thread"],
    );
    let mut quick = HandPoll::new(std::future::ready(1));
    let _ = quick.poll();
    quick.check_no_blocking("").unwrap();
}
