use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{CardTerminal, EventSource, wait_for};

const BLOCKED_POLL: &str = "a poll of WaitFor did not return: it waits inside poll (a sleep or \
    a spin until the event fires) and blocks the executor's thread; return Pending at once and \
    let the source wake the task";

/// Runs a hand-polling check on its own thread, so that a poll that blocks is named.
fn guarded(check: fn()) {
    run_with_watchdog(Duration::from_secs(1), BLOCKED_POLL, check);
}

#[derive(Default)]
struct Event {
    fired: bool,
    waker: Option<Waker>,
    /// A `has_fired()` said "no" and no `register` has followed yet.
    gap_open: bool,
    /// The event fired inside that gap (at most once per source).
    fired_in_gap: bool,
    answered_yes: bool,
}

/// An event source the grader controls. A racy one plays the other thread winning the race:
/// its event fires in the gap between a `has_fired()` that said "no" and the next `register`.
#[derive(Clone, Default)]
struct ScriptedSource {
    event: Arc<Mutex<Event>>,
    racy: bool,
}

impl ScriptedSource {
    fn quiet() -> Self {
        Self::default()
    }

    fn racy() -> Self {
        ScriptedSource {
            racy: true,
            ..Self::default()
        }
    }

    fn event(&self) -> MutexGuard<'_, Event> {
        self.event.lock().unwrap()
    }

    /// Fires the event as the other thread would: wakes whatever waker is registered.
    fn fire(&self) {
        let waker = {
            let mut event = self.event();
            event.fired = true;
            event.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl EventSource for ScriptedSource {
    fn has_fired(&self) -> bool {
        let mut event = self.event();
        if event.fired {
            event.answered_yes = true;
            return true;
        }
        event.gap_open = self.racy && !event.fired_in_gap;
        false
    }

    fn register(&self, waker: &Waker) {
        let fire_now = {
            let mut event = self.event();
            let in_gap = std::mem::take(&mut event.gap_open);
            event.fired_in_gap |= in_gap;
            in_gap
        };
        // The other thread wins the race: the event fires before this registration lands.
        if fire_now {
            self.fire();
        }
        // Like a real source, a waker registered after the event is kept but never woken.
        self.event().waker = Some(waker.clone());
    }
}

const RESOLVED_EARLY: &str = "WaitFor resolved before the event fired: return Ready only when \
    has_fired() says so";

#[test]
fn hears_an_event_that_fires_during_the_poll() {
    guarded(|| {
        let source = ScriptedSource::racy();
        let mut wait = pin!(wait_for(source.clone()));
        let counting = CountingWaker::new();

        if poll_once(wait.as_mut(), counting.waker()).is_ready() {
            // Checked again after registering, and saw the event: that is right.
            assert!(source.event().answered_yes, "{RESOLVED_EARLY}");
            return;
        }
        let lost_in_gap = source.event().fired_in_gap;
        if !lost_in_gap {
            // Registered before checking: the event fires now, just after the check.
            source.fire();
        }
        assert!(
            counting.is_woken(),
            "{}",
            if lost_in_gap {
                "lost wake-up: the event fired after has_fired() said no and before register() \
                 (another thread can always win that race), when no waker was there to hear \
                 it, so nothing will poll the checkout again; register first, then check"
            } else {
                "returned Pending but left no waker with the source: when the event fires, \
                 nothing wakes the task; register cx.waker() before returning Pending"
            }
        );
        assert!(
            poll_once(wait.as_mut(), counting.waker()).is_ready(),
            "woken after the event fired, but the next poll still returned Pending: check \
             has_fired() at every poll"
        );
    });
}

#[test]
fn does_not_wake_itself_while_waiting() {
    guarded(|| {
        let source = ScriptedSource::quiet();
        let mut wait = pin!(wait_for(source.clone()));
        let counting = CountingWaker::new();

        assert!(
            poll_once(wait.as_mut(), counting.waker()).is_pending(),
            "{RESOLVED_EARLY}"
        );
        let wakes = counting.wake_count();
        assert!(
            wakes == 0,
            "woke itself while the event had not fired (wake-ups during one poll: {wakes}): the \
             executor polls it again at once, a busy loop that only hides the lost wake-up; \
             register first, then check, and let the source do the waking"
        );
        assert!(
            source.event().waker.is_some(),
            "returned Pending but left no waker with the source: when the event fires, nothing \
             wakes the task; register cx.waker() before returning Pending"
        );
    });
}

#[test]
fn wakes_when_the_event_fires_later() {
    guarded(|| {
        let source = ScriptedSource::quiet();
        let mut wait = pin!(wait_for(source.clone()));
        let counting = CountingWaker::new();

        assert!(
            poll_once(wait.as_mut(), counting.waker()).is_pending(),
            "{RESOLVED_EARLY}"
        );
        let wakes_before = counting.wake_count();
        source.fire();
        assert!(
            counting.wake_count() > wakes_before,
            "the event fired, but the task was not woken: register cx.waker() with the source \
             at every poll that returns Pending"
        );
        assert!(
            poll_once(wait.as_mut(), counting.waker()).is_ready(),
            "woken after the event fired, but the next poll still returned Pending: check \
             has_fired() at every poll"
        );
    });
}

#[test]
fn resolves_at_once_if_already_fired() {
    guarded(|| {
        let source = ScriptedSource::quiet();
        source.fire();
        let mut wait = pin!(wait_for(source));
        let counting = CountingWaker::new();
        assert!(
            poll_once(wait.as_mut(), counting.waker()).is_ready(),
            "the event had already fired, but the first poll returned Pending: check \
             has_fired() before deciding to wait (after registering is fine)"
        );
    });
}

#[test]
fn registers_the_waker_of_every_poll() {
    guarded(|| {
        let source = ScriptedSource::quiet();
        let mut wait = pin!(wait_for(source.clone()));
        let first = CountingWaker::new();
        let latest = CountingWaker::new();

        assert!(
            poll_once(wait.as_mut(), first.waker()).is_pending(),
            "{RESOLVED_EARLY}"
        );
        assert!(
            poll_once(wait.as_mut(), latest.waker()).is_pending(),
            "{RESOLVED_EARLY}"
        );
        source.fire();
        assert!(
            latest.is_woken(),
            "the event did not wake the waker of the latest poll: the task was polled again \
             with a new waker; register cx.waker() at every poll that returns Pending"
        );
    });
}

#[test]
fn checkout_completes_when_the_terminal_approves() {
    const APPROVAL_DELAY: Duration = Duration::from_millis(30);
    let polls = real_clock()
        .limit(Duration::from_millis(1500))
        .on_never_woken(
            "the card terminal approved the payment from its thread after 30 ms, but the checkout \
            awaiting it never finished: its wake-up was lost; register the waker, then check",
        )
        .on_blocked(BLOCKED_POLL)
        .run(|| async {
            let terminal = Arc::new(CardTerminal::default());
            let driver_side = Arc::clone(&terminal);
            let driver = thread::spawn(move || {
                thread::sleep(APPROVAL_DELAY);
                driver_side.approve();
            });
            let mut wait = pin!(wait_for(terminal));
            let mut polls = 0_u64;
            poll_fn(|cx| {
                polls += 1;
                wait.as_mut().poll(cx)
            })
            .await;
            driver
                .join()
                .expect("the terminal's driver thread panicked");
            polls
        });
    assert!(
        polls <= 3,
        "tokio polled WaitFor {polls} times while it waited 30 ms for the approval: it woke \
         itself on every poll, a busy loop; let the terminal wake it"
    );
}
