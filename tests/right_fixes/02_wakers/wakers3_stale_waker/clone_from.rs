//! Correct alternative: Waker::clone_from, which keeps the stored waker when it already wakes the same task
//! A flood alarm on a river gauge. `alarm(limit_mm)` gives a `Gauge`, which the reading loop
//! feeds with `record(level_mm)`, and an `Alarm` future that resolves to the first level at or
//! above the limit.
//!
//! A supervisor awaits the alarm in a `select!` next to a timeout and, if the timeout wins,
//! hands the still-pending alarm to a spawned watcher task. Each task has its own waker, so
//! `cx.waker()` can change between polls; but `Alarm` keeps the first waker it ever saw, so a
//! flood wakes the supervisor (who has moved on) and the watcher sleeps through it.
//!
//! Done when: a flood wakes the waker from the *latest* poll, the alarm lets go of wakers from
//! earlier polls, and polls by the same task don't clone its waker again (`Waker::will_wake`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct State {
    limit_mm: u32,
    flooded_at: Option<u32>,
    waker: Option<Waker>, // who to wake when the river floods
}

/// Makes a gauge and the alarm it trips when the level reaches `limit_mm`.
pub fn alarm(limit_mm: u32) -> (Gauge, Alarm) {
    let state = Arc::new(Mutex::new(State {
        limit_mm,
        flooded_at: None,
        waker: None,
    }));
    let gauge = Gauge {
        state: Arc::clone(&state),
    };
    (gauge, Alarm { state })
}

/// The reading end, fed by the sensor loop.
pub struct Gauge {
    state: Arc<Mutex<State>>,
}

impl Gauge {
    /// Records a water level; the first one at or above the limit trips the alarm.
    pub fn record(&self, level_mm: u32) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            if state.flooded_at.is_some() || level_mm < state.limit_mm {
                return;
            }
            state.flooded_at = Some(level_mm);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Resolves to the level that tripped the alarm.
pub struct Alarm {
    state: Arc<Mutex<State>>,
}

impl Future for Alarm {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut state = self.state.lock().unwrap();
        if let Some(level_mm) = state.flooded_at {
            return Poll::Ready(level_mm);
        }
        match &mut state.waker {
            Some(kept) => kept.clone_from(cx.waker()),
            empty => *empty = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
