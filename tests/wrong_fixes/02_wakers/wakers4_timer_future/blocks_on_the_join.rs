//! Wrong fix: the timers are right, but brew_flat_white waits for both with
//! futures::executor::block_on(join(..)) inside the async fn, holding the runtime's thread.
// expect fail: brew_flat_white blocked the runtime's thread
//! A kitchen timer for a coffee bar, built without any async timer: a helper OS thread sleeps
//! for the duration, then tells the waiting task that the timer rang.
//!
//! `KitchenTimer::new(d)` is a future that resolves to a `Ring` once `d` has passed. Like every
//! Rust future it is lazy: it starts counting at its first poll, not when it is created.
//! `brew_flat_white` runs the espresso timer and the milk timer side by side.
//!
//! Done when: the timer's thread marks the timer as rung and wakes the task, so the next poll
//! returns `Ready`; a timer starts exactly one thread however often it is polled, and wakes the
//! waker of the latest poll; the two timers of `brew_flat_white` run at the same time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// When a timer started counting, and when its task saw it ring.
#[derive(Debug, Clone, Copy)]
pub struct Ring {
    pub started: Instant,
    pub rang: Instant,
}

/// What the future and its helper thread both need to see.
struct Shared {
    rang: bool,
    /// The waker of the latest poll: the one the thread must wake.
    waker: Option<Waker>,
}

pub struct KitchenTimer {
    duration: Duration,
    /// `Some` once the helper thread is running: it doubles as "started" so that later polls
    /// do not start another thread.
    started: Option<Instant>,
    shared: Arc<Mutex<Shared>>,
}

impl KitchenTimer {
    pub fn new(duration: Duration) -> Self {
        KitchenTimer {
            duration,
            started: None,
            shared: Arc::new(Mutex::new(Shared {
                rang: false,
                waker: None,
            })),
        }
    }
}

impl Future for KitchenTimer {
    type Output = Ring;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ring> {
        // All fields are `Unpin`, so the timer can be used as a plain `&mut`.
        let this = self.get_mut();
        let mut shared = this.shared.lock().unwrap();
        if shared.rang {
            let started = this.started.expect("a timer rings only after it started");
            return Poll::Ready(Ring {
                started,
                rang: Instant::now(),
            });
        }
        // The task may be polled with a different waker each time (it can move between
        // executor threads): the thread must wake the latest one.
        match &shared.waker {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            _ => shared.waker = Some(cx.waker().clone()),
        }
        if this.started.is_none() {
            this.started = Some(Instant::now());
            let for_thread = Arc::clone(&this.shared);
            let duration = this.duration;
            thread::spawn(move || {
                thread::sleep(duration);
                let mut shared = for_thread.lock().unwrap();
                // Mark it rung *before* waking, so the poll the wake-up causes sees it.
                shared.rang = true;
                let waker = shared.waker.take();
                // Wake outside the lock: the woken task may poll (and lock) right away.
                drop(shared);
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

/// Brews a flat white: the espresso and the milk are timed side by side, so the drink takes as
/// long as the longer of the two. Returns the espresso's ring, then the milk's.
pub async fn brew_flat_white(espresso: Duration, milk: Duration) -> (Ring, Ring) {
    // Both timers side by side, and wait here until both rang.
    futures::executor::block_on(futures::future::join(
        KitchenTimer::new(espresso),
        KitchenTimer::new(milk),
    ))
}
