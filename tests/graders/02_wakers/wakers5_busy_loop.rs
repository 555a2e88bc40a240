use std::future::{Future, poll_fn};
use std::pin::pin;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::DockDoor;

/// How long the grader plays executor while the door stays shut.
const WATCHED: Duration = Duration::from_millis(50);

const BLOCKED_POLL: &str = "a poll of Opened did not return: it waits inside poll (a sleep or \
    a spin until the door opens) and blocks the executor's thread; return Pending at once and \
    let open() wake the task";

#[test]
fn sleeps_while_the_door_is_shut() {
    let (drive, copies_held) = run_with_watchdog(Duration::from_secs(1), BLOCKED_POLL, || {
        let door = DockDoor::new();
        let mut opened = HandPoll::new(door.opened());
        // Like an executor: poll, then poll again each time the task is woken.
        let drive = opened.drive(WATCHED, usize::MAX);
        let first_poll_copies = if drive.polls == 1 {
            opened.last_poll().copies_held
        } else {
            0
        };
        (
            (
                drive.output.is_some(),
                drive.polls,
                drive.self_wakes,
                drive.quickest_poll,
                drive.elapsed,
            ),
            first_poll_copies,
        )
    });
    let (resolved, polls, self_wakes, quickest_poll, elapsed) = drive;
    assert!(
        !resolved,
        "Opened resolved while the door was still shut: return Ready only once open() has run"
    );
    let blocking = if quickest_poll >= Duration::from_millis(1) {
        format!(
            " (and every poll blocked the thread for {:.1} ms or more)",
            quickest_poll.as_secs_f64() * 1000.0
        )
    } else {
        String::new()
    };
    assert!(
        self_wakes == 0 && polls == 1,
        "woke itself on every poll: {polls} polls in {} ms while the door stayed shut{blocking}, \
         a CPU core busy for nothing; keep the waker (futures::task::AtomicWaker) and let open() \
         wake it",
        elapsed.as_millis()
    );
    assert!(
        copies_held >= 1,
        "returned Pending but kept no waker: when the door opens, nothing can wake the task; \
         register cx.waker() where open() can reach it (futures::task::AtomicWaker)"
    );
}

#[test]
fn opening_wakes_the_waiting_task() {
    run_with_watchdog(
        Duration::from_secs(1),
        BLOCKED_POLL,
        opening_wakes_the_waiting_task_body,
    );
}

fn opening_wakes_the_waiting_task_body() {
    let door = DockDoor::new();
    let mut opened = pin!(door.opened());
    let counting = CountingWaker::new();

    assert!(
        poll_once(opened.as_mut(), counting.waker()).is_pending(),
        "Opened resolved while the door was still shut: return Ready only once open() has run"
    );
    let wakes_before = counting.wake_count();
    let kept_a_waker = counting.copies_held() >= 1;
    door.open();

    assert!(
        counting.wake_count() > wakes_before,
        "{}",
        if kept_a_waker {
            "open() did not wake the waiting task: the poll kept a waker, but open() never \
             wakes it; right after setting the flag, wake the registered waker"
        } else if wakes_before > 0 {
            "open() had nothing to wake: the poll woke its own task instead of keeping the \
             waker; register cx.waker() (futures::task::AtomicWaker) and wake it in open()"
        } else {
            "open() had nothing to wake: the Pending poll kept no waker; register cx.waker() \
             (futures::task::AtomicWaker) and wake it in open()"
        }
    );
    assert!(
        poll_once(opened.as_mut(), counting.waker()).is_ready(),
        "woken after the door opened, but the next poll still returned Pending: check the \
         flag that open() sets"
    );
}

#[test]
fn the_door_is_open_when_the_task_is_woken() {
    let door = DockDoor::new();
    // An executor at its most eager polls the task the instant open() wakes it.
    let mut opened = EagerPoll::new(door.opened()).named("Opened");
    assert!(
        opened.poll().is_pending(),
        "Opened resolved while the door was still shut: return Ready only once open() has run"
    );
    let sensor = door.clone();
    opened
        .check_ready_after(
            "the door opening",
            move || sensor.open(),
            Duration::ZERO,
            "in open(), set the flag first and wake the waiting task after",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn opening_wakes_the_task_that_polled_last() {
    run_with_watchdog(Duration::from_secs(2), BLOCKED_POLL, || {
        let door = DockDoor::new();
        let mut opened = HandPoll::new(door.opened()).named("Opened");
        assert!(opened.poll().is_pending(), "Opened resolved while the door was still shut");
        // The unloading task was moved (a select! gave up on it): it polls with a new waker.
        assert!(
            opened.poll_with_new_waker().is_pending(),
            "Opened resolved while the door was still shut"
        );
        opened
            .check_woken_by(
                "the door opening",
                || door.open(),
                "register the waker of every poll (AtomicWaker::register replaces the one kept \
                 before), so open() wakes the task that awaits the door now",
            )
            .unwrap_or_else(|verdict| panic!("{verdict}"));
    });
}

#[test]
fn an_open_door_is_seen_at_the_first_poll() {
    let door = DockDoor::new();
    door.open();
    let mut opened = pin!(door.opened());
    let counting = CountingWaker::new();
    assert!(
        poll_once(opened.as_mut(), counting.waker()).is_ready(),
        "the door was already open, but the first poll returned Pending: look at the flag \
         before deciding to wait"
    );
}

#[test]
fn unloads_once_the_sensor_opens_the_door() {
    const SENSOR_DELAY: Duration = Duration::from_millis(50);
    let polls = real_clock()
        .limit(Duration::from_millis(1500))
        .on_never_woken(
            "the sensor thread opened the door after 50 ms, but the task awaiting it never \
            finished: open() must wake the waker that the Pending poll registered",
        )
        .on_blocked(BLOCKED_POLL)
        .run(|| async {
            let door = DockDoor::new();
            let sensor_door = door.clone();
            let sensor = thread::spawn(move || {
                thread::sleep(SENSOR_DELAY);
                sensor_door.open();
            });
            let mut opened = pin!(door.opened());
            let mut polls = 0_u64;
            poll_fn(|cx| {
                polls += 1;
                opened.as_mut().poll(cx)
            })
            .await;
            sensor.join().expect("the sensor thread panicked");
            polls
        });
    // One poll finds the door shut, one after open()'s wake-up finds it open.
    assert!(
        polls <= 3,
        "tokio polled Opened {polls} times while it waited 50 ms for the sensor: it woke \
         itself on every poll, a busy loop; let only open() wake it"
    );
}
