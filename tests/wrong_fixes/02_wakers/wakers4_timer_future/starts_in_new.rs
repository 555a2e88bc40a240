//! Wrong fix: starts each timer's thread in `new`, so that awaiting one timer after the other
//! still "overlaps"; but a future must do nothing until it is polled.
// expect fail: started counting when it was created
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

struct Shared {
    rang: bool,
    waker: Option<Waker>,
}

pub struct KitchenTimer {
    started: Instant,
    shared: Arc<Mutex<Shared>>,
}

impl KitchenTimer {
    pub fn new(duration: Duration) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            rang: false,
            waker: None,
        }));
        let started = Instant::now();
        let for_thread = Arc::clone(&shared);
        thread::spawn(move || {
            thread::sleep(duration);
            let mut shared = for_thread.lock().unwrap();
            shared.rang = true;
            if let Some(waker) = shared.waker.take() {
                waker.wake();
            }
        });
        KitchenTimer { started, shared }
    }
}

impl Future for KitchenTimer {
    type Output = Ring;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ring> {
        let mut shared = self.shared.lock().unwrap();
        if shared.rang {
            return Poll::Ready(Ring {
                started: self.started,
                rang: Instant::now(),
            });
        }
        shared.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Brews a flat white: the espresso and the milk are timed side by side, so the drink takes as
/// long as the longer of the two. Returns the espresso's ring, then the milk's.
pub async fn brew_flat_white(espresso: Duration, milk: Duration) -> (Ring, Ring) {
    // Both timers start counting here, so awaiting them in turn costs nothing.
    let espresso_timer = KitchenTimer::new(espresso);
    let milk_timer = KitchenTimer::new(milk);
    (espresso_timer.await, milk_timer.await)
}
