use std::future::Future;
use std::pin::{Pin, pin};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::{KitchenTimer, brew_flat_white};

/// Far more than any timer here needs, even on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);

/// After a `Pending` poll, polls `future` again each time `counting` is woken (as an executor
/// would), until it is ready or `PATIENCE` has passed. Returns the output, if any, and how
/// many polls were made here.
fn keep_polling<F: Future + ?Sized>(
    future: Pin<&mut F>,
    counting: &CountingWaker,
    seen: usize,
) -> (Option<F::Output>, usize) {
    follow_wakes(future, counting, seen, PATIENCE)
}

/// Threads alive in this process, where the OS tells (Linux); each grader check runs in its
/// own process, so a change is this check's doing.
fn live_threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(|tasks| tasks.count())
}

fn never_rang_message(polls_after_first: usize, timer: Duration) -> String {
    if polls_after_first == 0 {
        format!(
            "never woke the task, {} s after the first poll of a {} s timer: when the thread \
             has slept, it must wake the waker of the latest poll",
            PATIENCE.as_secs_f64(),
            timer.as_secs_f64()
        )
    } else {
        format!(
            "woken {polls_after_first} times, but every poll still returned Pending: nothing \
             marks the timer as rung, so it never completes (and each poll starts one more \
             thread); let the thread set a `rang` flag in state it shares with the future \
             (Arc<Mutex<..>>) before it wakes the task"
        )
    }
}

#[test]
fn rings_after_its_duration_and_wakes_the_task() {
    const RING_AFTER: Duration = Duration::from_millis(300);
    let counting = CountingWaker::new();
    let mut timer = pin!(KitchenTimer::new(RING_AFTER));

    let first_poll = Instant::now();
    assert!(
        poll_once(timer.as_mut(), counting.waker()).is_pending(),
        "rang at its first poll, before any of its 0.3 s had passed: return Pending until the \
         thread says the time is up"
    );
    assert!(
        counting.copies_held() >= 1,
        "returned Pending but kept no waker: when the time is up nobody can wake the task; \
         keep a clone of cx.waker() where the thread can reach it"
    );

    let (ring, polls) = keep_polling(timer.as_mut(), &counting, 0);
    let ready_after = first_poll.elapsed();
    assert!(ring.is_some(), "{}", never_rang_message(polls, RING_AFTER));
    assert!(
        ready_after >= RING_AFTER,
        "rang {} ms after its first poll, before its 300 ms were up: only the thread, once it \
         has slept, may mark the timer as rung",
        ready_after.as_millis()
    );
    assert!(
        polls <= 2,
        "the task was polled {} times during one 0.3 s timer: it was woken before the time was \
         up; wake it once, from the thread, after the sleep",
        polls + 1
    );
}

#[test]
fn starts_one_thread_however_often_it_is_polled() {
    const POLLS: usize = 8;
    const RING_AFTER: Duration = Duration::from_millis(300);
    let counting = CountingWaker::new();
    let mut timer = pin!(KitchenTimer::new(RING_AFTER));

    let threads_before = live_threads();
    for _ in 0..POLLS {
        assert!(
            poll_once(timer.as_mut(), counting.waker()).is_pending(),
            "rang before its 0.3 s were up: return Pending until the thread says the time is up"
        );
    }
    // The threads sleep for 0.3 s, so all those started are still alive here.
    if let (Some(before), Some(after)) = (threads_before, live_threads()) {
        let started = after.saturating_sub(before);
        assert!(
            started <= 2,
            "each poll started another sleeping thread: {POLLS} polls of one timer started \
             {started} threads; start it at the first poll only (remember that it runs) and \
             let later polls just update the stored waker"
        );
    }

    let (ring, polls) = keep_polling(timer.as_mut(), &counting, 0);
    assert!(ring.is_some(), "{}", never_rang_message(polls, RING_AFTER));
    // Give any other sleeping thread time to wake the task too.
    thread::sleep(Duration::from_millis(150));
    let wakes = counting.wake_count();
    assert!(
        wakes <= 1,
        "one timer polled {POLLS} times woke its task {wakes} times: each poll started \
         another thread that wakes it; start the thread once and let later polls only update \
         the stored waker"
    );
}

#[test]
fn starts_counting_at_its_first_poll() {
    const RING_AFTER: Duration = Duration::from_millis(150);
    let timer = KitchenTimer::new(RING_AFTER);
    // Had it started counting in `new`, its time would be up by now.
    thread::sleep(RING_AFTER + Duration::from_millis(100));
    let counting = CountingWaker::new();
    let mut timer = pin!(timer);

    let first_poll = Instant::now();
    assert!(
        poll_once(timer.as_mut(), counting.waker()).is_pending(),
        "rang at its very first poll: it started counting when it was created; futures are \
         lazy (and brew_flat_white relies on it), so start the thread in poll, not in new"
    );
    let (ring, polls) = keep_polling(timer.as_mut(), &counting, 0);
    let ready_after = first_poll.elapsed();
    let ring = ring.unwrap_or_else(|| panic!("{}", never_rang_message(polls, RING_AFTER)));
    assert!(
        ready_after >= RING_AFTER,
        "rang {} ms after its first poll, for a 150 ms timer: it started counting when it was \
         created; futures are lazy, so start the thread at the first poll, not in new",
        ready_after.as_millis()
    );
    assert!(
        ring.started >= first_poll,
        "the Ring says the timer started {} ms before its first poll: record `started` when \
         the first poll starts the thread",
        first_poll.duration_since(ring.started).as_millis()
    );
}

#[test]
fn wakes_the_waker_of_the_latest_poll() {
    let first = CountingWaker::new();
    let latest = CountingWaker::new();
    let mut timer = pin!(KitchenTimer::new(Duration::from_millis(100)));

    assert!(
        poll_once(timer.as_mut(), first.waker()).is_pending(),
        "rang at its first poll, before its 0.1 s were up: return Pending until the thread \
         says the time is up"
    );
    assert!(
        poll_once(timer.as_mut(), latest.waker()).is_pending(),
        "rang before its 0.1 s were up: return Pending until the thread says the time is up"
    );
    let deadline = Instant::now() + PATIENCE;
    while !latest.is_woken() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    assert!(
        latest.is_woken(),
        "{}",
        if first.is_woken() {
            "woke the waker of the first poll, not of the latest: the task was polled again \
             with a new waker, and the old one may no longer reach it; keep the waker in the \
             shared state and replace it at every poll (Waker::will_wake says if it changed)"
        } else {
            "never woke the task, 2 s after the first poll of a 0.1 s timer: when the thread \
             has slept, it must wake the waker of the latest poll"
        }
    );
}

#[test]
fn the_ring_is_marked_before_the_task_is_woken() {
    const RING_AFTER: Duration = Duration::from_millis(100);
    // An executor at its most eager polls the task the instant the timer's thread wakes it.
    let mut timer = EagerPoll::new(KitchenTimer::new(RING_AFTER)).named("KitchenTimer");
    assert!(
        timer.poll().is_pending(),
        "rang at its first poll, before any of its 0.1 s had passed: return Pending until the \
         thread says the time is up"
    );
    timer
        .check_ready_after(
            "the timer's sleep",
            || {},
            PATIENCE,
            "in the timer's thread, set `rang` first and wake the waker after",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn a_timer_of_no_duration_rings_too() {
    let counting = CountingWaker::new();
    let mut timer = pin!(KitchenTimer::new(Duration::ZERO));
    let ring = match poll_once(timer.as_mut(), counting.waker()) {
        std::task::Poll::Ready(ring) => Some(ring),
        std::task::Poll::Pending => keep_polling(timer.as_mut(), &counting, 0).0,
    };
    let ring = ring.unwrap_or_else(|| {
        panic!(
            "a timer of no duration never rang: its thread has nothing to sleep, but it must \
             still mark the timer as rung and wake the waker of the latest poll"
        )
    });
    assert!(
        ring.rang >= ring.started,
        "the Ring says the timer rang before it started: record `started` at the first poll"
    );
}

#[test]
fn brews_espresso_and_milk_at_the_same_time() {
    const ESPRESSO: Duration = Duration::from_millis(1000);
    const MILK: Duration = Duration::from_millis(600);

    let began = Instant::now();
    let (espresso, milk) = real_clock()
        .limit(Duration::from_secs(4))
        .on_blocked(
            "brew_flat_white blocked the runtime's thread while the timers ran (a thread sleep, \
             or a block_on, inside the async fn): no other task could run; wait by awaiting \
             the two timers together",
        )
        .on_never_woken(
            "brew_flat_white had not finished long after its 1.0 s and 0.6 s timers were up: a \
             timer never completes once woken (see the other checks)",
        )
        .run(move || brew_flat_white(ESPRESSO, MILK));
    let took = began.elapsed().as_secs_f64();

    assert!(
        espresso.rang.duration_since(espresso.started) >= ESPRESSO
            && milk.rang.duration_since(milk.started) >= MILK,
        "the rings came back mixed up or too early: return the espresso's ring, then the \
         milk's, each from its own timer"
    );
    let overlapped = milk.started < espresso.rang && espresso.started < milk.rang;
    assert!(
        overlapped,
        "ran one after another: one timer started only when the other had rung ({took:.1} s \
         for a 1.0 s and a 0.6 s timer); a future does nothing until polled, so await both \
         at once with futures::join!"
    );
}
