use std::future::{Future, poll_fn};
use std::pin::pin;
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::DockDoor;

/// How long the grader plays executor while the door stays shut.
const WATCHED: Duration = Duration::from_millis(50);

const BLOCKED_POLL: &str = "a poll of Opened did not return: it waits inside poll (a sleep or \
    a spin until the door opens) and blocks the executor's thread; return Pending at once and \
    let open() wake the task";

/// What the grader saw while playing executor for `WATCHED` with the door shut.
struct Watch {
    polls: u32,
    resolved: bool,
    /// The quickest poll: a poll that sleeps is never quick, however loaded the machine.
    quickest_poll: Duration,
    wakes_after_first_poll: usize,
    copies_held: usize,
}

#[test]
fn sleeps_while_the_door_is_shut() {
    let watch = run_with_watchdog(Duration::from_secs(1), BLOCKED_POLL, || {
        let door = DockDoor::new();
        let mut opened = pin!(door.opened());
        let counting = CountingWaker::new();
        let mut watch = Watch {
            polls: 0,
            resolved: false,
            quickest_poll: Duration::MAX,
            wakes_after_first_poll: 0,
            copies_held: 0,
        };
        // Like an executor: poll, then poll again each time the task is woken.
        let until = Instant::now() + WATCHED;
        let mut seen = 0;
        loop {
            seen = counting.wake_count();
            let timing = poll_timed(opened.as_mut(), counting.waker());
            watch.polls += 1;
            watch.quickest_poll = watch.quickest_poll.min(timing.took);
            if watch.polls == 1 {
                watch.wakes_after_first_poll = counting.wake_count();
                watch.copies_held = counting.copies_held();
            }
            if timing.result.is_ready() {
                watch.resolved = true;
                break;
            }
            while counting.wake_count() <= seen && Instant::now() < until {
                thread::yield_now();
            }
            if Instant::now() >= until {
                break;
            }
        }
        watch
    });

    assert!(
        !watch.resolved,
        "Opened resolved while the door was still shut: return Ready only once open() has run"
    );
    let blocking = if watch.quickest_poll >= Duration::from_millis(1) {
        format!(
            " (and every poll blocked the thread for {:.1} ms or more)",
            watch.quickest_poll.as_secs_f64() * 1000.0
        )
    } else {
        String::new()
    };
    assert!(
        watch.wakes_after_first_poll == 0 && watch.polls == 1,
        "woke itself on every poll: {} polls in {} ms while the door stayed shut{blocking}, a \
         CPU core busy for nothing; keep the waker (futures::task::AtomicWaker) and let open() \
         wake it",
        watch.polls,
        WATCHED.as_millis()
    );
    assert!(
        watch.copies_held >= 1,
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
    let polls = run_with_watchdog(
        Duration::from_millis(1500),
        "the sensor thread opened the door after 50 ms, but the task awaiting it never \
         finished: open() must wake the waker that the Pending poll registered",
        || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the grader could not build a tokio runtime");
            runtime.block_on(async {
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
            })
        },
    );
    // One poll finds the door shut, one after open()'s wake-up finds it open.
    assert!(
        polls <= 3,
        "tokio polled Opened {polls} times while it waited 50 ms for the sensor: it woke \
         itself on every poll, a busy loop; let only open() wake it"
    );
}
