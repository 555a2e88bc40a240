use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Alarm, Gauge, alarm};

const LIMIT_MM: u32 = 300;

const RESOLVED_EARLY: &str =
    "the Alarm resolved before any level reached the limit: return Pending until it floods";

/// A dry alarm polled by a supervisor task, then (moved to another task) by a watcher with a
/// waker of its own.
fn alarm_moved_to_a_watcher() -> (Gauge, HandPoll<Alarm>) {
    let (gauge, alarm) = alarm(LIMIT_MM);
    let mut hand = HandPoll::new(alarm).named("Alarm");
    assert!(hand.poll().is_pending(), "{RESOLVED_EARLY}");
    // The alarm has moved to another task, which polls it with its own waker.
    assert!(hand.poll_with_new_waker().is_pending(), "{RESOLVED_EARLY}");
    (gauge, hand)
}

#[test]
fn flood_wakes_the_task_that_polled_last() {
    let (gauge, mut watcher) = alarm_moved_to_a_watcher();
    watcher
        .check_woken_by(
            "the flood",
            || gauge.record(420),
            "keep the waker from the latest poll where record() can wake it: when the stored \
             waker does not will_wake() cx.waker(), replace it",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(
        watcher.poll(),
        Poll::Ready(420),
        "woken by the flood, but the next poll did not return the level that tripped the alarm"
    );
}

#[test]
fn lets_go_of_the_waker_from_an_earlier_poll() {
    let (_gauge, watcher) = alarm_moved_to_a_watcher();
    watcher
        .check_let_go_of_earlier_wakers(
            "waking it is wasted work, and a list of wakers grows with every new task: when the \
             stored waker does not will_wake() cx.waker(), replace it instead of adding",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn keeps_its_waker_when_polled_again_by_the_same_task() {
    const POLLS: usize = 100;
    let (gauge, alarm) = alarm(LIMIT_MM);
    let mut task = HandPoll::new(alarm).named("Alarm");

    for _ in 0..POLLS {
        assert!(task.poll().is_pending(), "{RESOLVED_EARLY}");
    }
    task.check_kept_waker("store cx.waker() where record() can wake it")
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    let clones = task.waker().clone_count();
    assert!(
        clones <= 1,
        "cloned the waker on every poll ({clones} clones in {POLLS} polls by the same task): \
         compare with will_wake and keep the one you have"
    );
    task.check_woken_by(
        "the flood",
        || gauge.record(LIMIT_MM),
        "keep the task's waker where record() wakes it",
    )
    .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn only_a_level_at_or_above_the_limit_trips_it() {
    let (gauge, alarm) = alarm(LIMIT_MM);
    let mut task = HandPoll::new(alarm).named("Alarm");
    assert!(task.poll().is_pending(), "{RESOLVED_EARLY}");
    gauge.record(0);
    gauge.record(LIMIT_MM - 1);
    assert!(
        task.poll().is_pending(),
        "the Alarm resolved though every level stayed below the limit: only a level at or above \
         it trips the alarm"
    );
    gauge.record(LIMIT_MM);
    gauge.record(LIMIT_MM + 50);
    assert_eq!(
        task.poll(),
        Poll::Ready(LIMIT_MM),
        "a level exactly at the limit trips the alarm, and the alarm reports the first level \
         that tripped it"
    );
}

#[test]
fn alarm_moved_from_a_select_into_a_task_still_fires() {
    let level = paused_clock()
        .limit(Duration::from_secs(3))
        .would_hang_after(
            Duration::from_secs(60),
            "keep the waker from the latest poll: the alarm, awaited first in a select! and then \
             moved into a spawned task, flooded, but the flood woke the select!'s stale waker \
             and the watcher task slept through it",
        )
        .run(|| async {
            let (gauge, mut alarm) = alarm(LIMIT_MM);

            // The supervisor waits a while, then gives up and hands the alarm to a watcher task.
            let early = tokio::select! {
                level = &mut alarm => Some(level),
                _ = tokio::time::sleep(Duration::from_millis(100)) => None,
            };
            assert!(early.is_none(), "{RESOLVED_EARLY}");
            let watcher = tokio::spawn(alarm);
            // Let the watcher poll the alarm once before the river rises.
            tokio::time::sleep(Duration::from_millis(10)).await;
            gauge.record(512);
            watcher.await.expect("the watcher task panicked")
        });
    assert_eq!(
        level, 512,
        "the watcher got a different level than the one that tripped the alarm"
    );
}
