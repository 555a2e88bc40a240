//! Correct alternative: an AtomicBool and a futures AtomicWaker instead of a Mutex; brewed with tokio::join!
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use futures::task::AtomicWaker;

/// When a timer started counting, and when its task saw it ring.
#[derive(Debug, Clone, Copy)]
pub struct Ring {
    pub started: Instant,
    pub rang: Instant,
}

/// What the timer's thread tells the future.
#[derive(Default)]
struct Bell {
    rang: AtomicBool,
    waiter: AtomicWaker,
}

pub struct KitchenTimer {
    duration: Duration,
    started: Option<Instant>,
    bell: Arc<Bell>,
}

impl KitchenTimer {
    pub fn new(duration: Duration) -> Self {
        KitchenTimer {
            duration,
            started: None,
            bell: Arc::default(),
        }
    }
}

impl Future for KitchenTimer {
    type Output = Ring;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ring> {
        // Register first, so a ring after the look below still reaches this task.
        self.bell.waiter.register(cx.waker());
        if self.bell.rang.load(Ordering::Acquire) {
            let started = self.started.expect("a timer rings only after it started");
            return Poll::Ready(Ring {
                started,
                rang: Instant::now(),
            });
        }
        if self.started.is_none() {
            self.started = Some(Instant::now());
            let bell = Arc::clone(&self.bell);
            let duration = self.duration;
            thread::spawn(move || {
                thread::sleep(duration);
                bell.rang.store(true, Ordering::Release);
                bell.waiter.wake();
            });
        }
        Poll::Pending
    }
}

/// Brews a flat white: the espresso and the milk are timed side by side, so the drink takes as
/// long as the longer of the two. Returns the espresso's ring, then the milk's.
pub async fn brew_flat_white(espresso: Duration, milk: Duration) -> (Ring, Ring) {
    tokio::join!(KitchenTimer::new(espresso), KitchenTimer::new(milk))
}
