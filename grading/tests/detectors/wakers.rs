use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::assert_says;

/// How a fixture parcel treats its waker.
#[derive(Clone, Copy, PartialEq)]
enum Keeps {
    /// Right: the waker of the latest poll.
    Latest,
    /// Stale: the waker of its first poll, forever.
    First,
    /// Nothing: Pending with no way to be woken.
    Nothing,
    /// Busy loop: wakes itself on every poll.
    WakesItself,
}

#[derive(Default)]
struct Slot {
    parcel: Option<&'static str>,
    waker: Option<Waker>,
}

/// A one-slot mailbox: `deliver` fills the slot and (if `wakes`) wakes the stored waker.
#[derive(Clone, Default)]
struct Locker {
    slot: Arc<Mutex<Slot>>,
}

impl Locker {
    fn deliver(&self, parcel: &'static str, wakes: bool) {
        let waker = {
            let mut slot = self.slot.lock().unwrap();
            slot.parcel = Some(parcel);
            slot.waker.take()
        };
        if let (true, Some(waker)) = (wakes, waker) {
            waker.wake();
        }
    }

    fn parcel(&self, keeps: Keeps) -> Parcel {
        Parcel {
            locker: self.clone(),
            keeps,
        }
    }
}

struct Parcel {
    locker: Locker,
    keeps: Keeps,
}

impl Future for Parcel {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut slot = self.locker.slot.lock().unwrap();
        if let Some(parcel) = slot.parcel.take() {
            return Poll::Ready(parcel);
        }
        match self.keeps {
            Keeps::Latest => slot.waker = Some(cx.waker().clone()),
            Keeps::First => {
                slot.waker.get_or_insert_with(|| cx.waker().clone());
            }
            Keeps::Nothing => {}
            Keeps::WakesItself => cx.waker().wake_by_ref(),
        }
        Poll::Pending
    }
}

const FIX: &str = "store cx.waker() in the slot";

#[test]
fn pending_without_a_waker_is_named() {
    let mut hand = HandPoll::new(Locker::default().parcel(Keeps::Nothing));
    assert!(hand.poll().is_pending());
    let verdict = hand.check_kept_waker(FIX).unwrap_err();
    assert_eq!(
        verdict,
        "returned Pending but kept no waker: nothing will ever poll it again; store cx.waker() \
         in the slot"
    );
}

#[test]
fn pending_with_a_waker_passes() {
    let mut hand = HandPoll::new(Locker::default().parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    hand.check_kept_waker(FIX).unwrap();
    hand.check_no_self_wake(FIX).unwrap();
}

#[test]
fn never_woken_after_the_event_is_named() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    let verdict = hand
        .check_woken_by(
            "the delivery",
            || locker.deliver("flowers", false),
            "wake it in deliver()",
        )
        .unwrap_err();
    assert_eq!(
        verdict,
        "never woken after the delivery: the future kept a waker, but nothing woke it; wake it \
         in deliver()"
    );

    let mut forgetful = HandPoll::new(Locker::default().parcel(Keeps::Nothing));
    assert!(forgetful.poll().is_pending());
    let verdict = forgetful
        .check_woken_by("the delivery", || {}, FIX)
        .unwrap_err();
    assert_says(
        &verdict,
        &["never woken after the delivery", "kept no waker"],
    );
}

#[test]
fn woken_after_the_event_passes() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    hand.check_woken_by("the delivery", || locker.deliver("flowers", true), FIX)
        .unwrap();
    assert_eq!(hand.poll(), Poll::Ready("flowers"));
}

#[test]
fn woken_from_another_thread_passes() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    let courier = locker.clone();
    hand.check_woken_within(
        "the delivery",
        move || {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                courier.deliver("a bicycle", true);
            });
        },
        Duration::from_secs(10),
        FIX,
    )
    .unwrap();
}

#[test]
fn following_wakes_gets_a_future_woken_from_another_thread() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    let courier = locker.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        courier.deliver("a bicycle", true);
    });
    assert_eq!(
        hand.follow_wakes(Duration::from_secs(10)),
        (Some("a bicycle"), 1)
    );

    // Never woken: gives up after its patience, having polled nothing more.
    let mut forgotten = HandPoll::new(Locker::default().parcel(Keeps::Nothing));
    assert!(forgotten.poll().is_pending());
    assert_eq!(forgotten.follow_wakes(Duration::from_millis(30)), (None, 0));
}

#[test]
fn self_wake_on_every_poll_is_named_with_the_poll_count() {
    let mut hand = HandPoll::new(Locker::default().parcel(Keeps::WakesItself));
    assert!(hand.poll().is_pending());
    let verdict = hand
        .check_no_self_wake("let deliver() wake it")
        .unwrap_err();
    assert_says(
        &verdict,
        &["woke its own task during the poll (1 wake-up(s))"],
    );

    let drive = hand.drive(Duration::from_millis(50), 100_000);
    assert!(drive.output.is_none());
    let verdict = drive
        .check_not_busy(3, "let deliver() wake it")
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "woke itself on every poll: ",
            " polls in ",
            "a busy loop",
            "let deliver() wake it",
        ],
    );
    assert!(drive.polls > 3, "{verdict}");
}

#[test]
fn a_quiet_waiter_is_polled_once() {
    let mut hand = HandPoll::new(Locker::default().parcel(Keeps::Latest));
    let drive = hand.drive(Duration::from_millis(50), 100_000);
    assert_eq!(drive.polls, 1);
    drive.check_not_busy(3, FIX).unwrap();
}

#[test]
fn a_stale_waker_is_named() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::First));
    assert!(hand.poll().is_pending());
    assert!(hand.poll_with_new_waker().is_pending());
    let verdict = hand
        .check_woken_by(
            "the delivery",
            || locker.deliver("flowers", true),
            "replace it",
        )
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "woke the waker from an earlier poll (stale), not the one from the latest poll",
            "replace it",
        ],
    );

    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::First));
    assert!(hand.poll().is_pending());
    assert!(hand.poll_with_new_waker().is_pending());
    let verdict = hand
        .check_let_go_of_earlier_wakers("replace it")
        .unwrap_err();
    assert_says(&verdict, &["kept the waker from an earlier poll (stale)"]);
}

#[test]
fn the_latest_waker_passes() {
    let locker = Locker::default();
    let mut hand = HandPoll::new(locker.parcel(Keeps::Latest));
    assert!(hand.poll().is_pending());
    assert!(hand.poll_with_new_waker().is_pending());
    hand.check_let_go_of_earlier_wakers(FIX).unwrap();
    hand.check_woken_by("the delivery", || locker.deliver("flowers", true), FIX)
        .unwrap();
}

#[test]
fn a_stale_waker_is_named_after_an_event_that_already_happened() {
    paused_clock().run(|| async {
        // Known bad: a parcel that keeps the waker of its first poll.
        let first_only = |keeps: Keeps| {
            let locker = Locker::default();
            let mut hand = HandPoll::new(locker.parcel(keeps));
            assert!(hand.poll().is_pending());
            assert!(hand.poll_with_new_waker().is_pending());
            (locker, hand)
        };
        let (locker, stale) = first_only(Keeps::First);
        locker.deliver("flowers", true);
        assert_says(
            &stale
                .check_woken_since_poll("the delivery", "replace it")
                .unwrap_err(),
            &["woke the waker from an earlier poll (stale), not the one from the latest poll"],
        );
        // Known good: the latest waker.
        let (locker, latest) = first_only(Keeps::Latest);
        locker.deliver("flowers", true);
        latest.check_woken_since_poll("the delivery", FIX).unwrap();
    });
}
