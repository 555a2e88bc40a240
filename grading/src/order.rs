//! Results in the input's order: proof that a parallel call's items ran at the same time,
//! then a finishing order the grader chooses ([`HoldBack`]), and words for how results came
//! back out of order ([`Misorder`], [`runs`], [`pieces_swapped`]).
//!
//! A parallel collect keeps each result at its item's index whatever order the items finish
//! in; a push into a shared `Vec`, per-worker buffers or pieces joined the wrong way round do
//! not. Timing cannot be trusted to shuffle the finishing order on a loaded 2-core machine, so
//! [`HoldBack`] forces it with waits that only parallel code can get through.
//!
//! ```
//! # use std::time::Duration;
//! # use std::sync::Mutex;
//! # use rayon::prelude::*;
//! # use asynclings_grading::order::{HoldBack, Misorder};
//! let hold = HoldBack::new(8, Duration::from_secs(2));
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! // Known bad: results pushed as they finish.
//! let finished = Mutex::new(Vec::new());
//! pool.install(|| {
//!     (0..8usize).into_par_iter().for_each(|item| {
//!         hold.start(Some(item));
//!         finished.lock().unwrap().push(item);
//!     })
//! });
//! assert_eq!(hold.met(), Some(true));
//! assert_eq!(hold.misorder(&finished.into_inner().unwrap()), Some(Misorder::AsFinished));
//! ```

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// Proves that the items of one parallel call run at the same time, then makes them finish in
/// an order the grader chose. Items are named by their index in the input; `None` for an item
/// the grader cannot place (it counts as started, but is never held).
///
/// 1. The first two items to start wait for each other (up to the patience): they meet only if
///    two run at the same time. Code that takes turns (a lock held over the work, a plain loop)
///    fails here however the threads are scheduled: the second item cannot start while the
///    first one waits.
/// 2. If they met, item 0 is held back until a worker thread other than its own has started
///    its second item (so that worker had finished its first one), or until the patience has
///    passed. Parallel work therefore finishes some other item before item 0.
/// 3. The start that lets item 0 go (that worker's second item) is itself held back, in the
///    middle of the work, until another thread starts an item after it (item 0's thread, once
///    item 0 is done), or until every item has started. Each worker then has taken items on
///    both sides of the other's: results gathered per worker, in the order each worker picked
///    its items up, cannot come out in the input's order.
///
/// Whatever the split, results stored as they finish then have the first item of the worker
/// that got ahead before item 0, and item 0 before the second held item.
pub struct HoldBack {
    items: usize,
    patience: Duration,
    state: Mutex<Held>,
    changed: Condvar,
}

#[derive(Default)]
struct Held {
    /// Items started, per thread, in the order each thread started them.
    started: HashMap<ThreadId, Vec<Option<usize>>>,
    total: usize,
    arrived: usize,
    /// Whether the first two items met; `None` until decided.
    met: Option<bool>,
    /// The thread that started item 0.
    first_thread: Option<ThreadId>,
    /// Whether another worker got ahead of item 0; `None` if it was not held.
    overtaken: Option<bool>,
    /// The first item of the worker that got ahead of item 0: it finished before item 0.
    finished_first: Option<usize>,
    /// The item held back second, and whether another thread started an item meanwhile.
    second: Option<(usize, Option<bool>)>,
}

impl Held {
    /// The first item of a thread other than `me` that has started two items, if any.
    fn ahead_of(&self, me: ThreadId) -> Option<Option<usize>> {
        self.started
            .iter()
            .find(|(thread, items)| **thread != me && items.len() >= 2)
            .map(|(_, items)| items[0])
    }
}

impl HoldBack {
    /// A hold over one parallel call of `items` items; each wait gives up after `patience`
    /// (real time: a free worker starts in microseconds, so 2 s leaves room for a loaded
    /// machine).
    pub fn new(items: usize, patience: Duration) -> Self {
        Self {
            items,
            patience,
            state: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, Held> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (up to the patience) until `done` holds; returns the guard either way.
    fn wait_for<'a>(
        &self,
        mut held: MutexGuard<'a, Held>,
        done: impl Fn(&Held) -> bool,
    ) -> MutexGuard<'a, Held> {
        let deadline = Instant::now() + self.patience;
        while !done(&held) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            held = self
                .changed
                .wait_timeout(held, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        held
    }

    /// Call at the start of every item, with its index in the input (`None` for an item the
    /// grader cannot place).
    pub fn start(&self, item: Option<usize>) {
        let me = thread::current().id();
        let mut held = self.state();
        let mine = held.started.entry(me).or_default();
        mine.push(item);
        let my_starts = mine.len();
        held.total += 1;
        if item == Some(0) {
            held.first_thread = Some(me);
        }
        self.changed.notify_all();
        if held.met.is_none() {
            held.arrived += 1;
            if held.arrived >= 2 {
                held.met = Some(true);
                self.changed.notify_all();
            } else {
                held = self.wait_for(held, |held| held.met.is_some());
                if held.met.is_none() {
                    held.met = Some(false);
                    self.changed.notify_all();
                }
            }
        }
        // This start lets item 0 go: hold it back in turn, until another thread moves on.
        let releases_first = held.met == Some(true)
            && held.first_thread.is_some_and(|first| first != me)
            && held.overtaken.is_none()
            && held.second.is_none()
            && my_starts >= 2;
        if let (true, Some(item)) = (releases_first, item) {
            held.second = Some((item, None));
            let total_then = held.total;
            held = self.wait_for(held, |held| {
                held.total > total_then || held.total >= self.items
            });
            let moved_on = held.total > total_then;
            held.second = Some((item, Some(moved_on)));
            self.changed.notify_all();
        }
        if item == Some(0) && held.met == Some(true) && held.overtaken.is_none() {
            held = self.wait_for(held, |held| held.ahead_of(me).is_some());
            let ahead = held.ahead_of(me);
            held.overtaken = Some(ahead.is_some());
            held.finished_first = ahead.flatten();
            self.changed.notify_all();
        }
    }

    /// Whether the first two items met; `None` if fewer than one started.
    pub fn met(&self) -> Option<bool> {
        self.state().met
    }

    /// Whether another worker got ahead of item 0 while it was held; `None` if it was not held.
    pub fn overtaken(&self) -> Option<bool> {
        self.state().overtaken
    }

    /// How `order` (the input indices, as the results came back) is out of order, if it is.
    pub fn misorder(&self, order: &[usize]) -> Option<Misorder> {
        if order.windows(2).all(|pair| pair[0] < pair[1]) {
            return None;
        }
        let held = self.state();
        let position = |item: usize| order.iter().position(|&i| i == item);
        let before =
            |a: usize, b: usize| matches!((position(a), position(b)), (Some(a), Some(b)) if a < b);
        let after_its_overtaker = held.finished_first.is_some_and(|first| before(first, 0));
        let before_the_second = match held.second {
            Some((second, Some(true))) => before(0, second),
            _ => true,
        };
        Some(if after_its_overtaker && before_the_second {
            Misorder::AsFinished
        } else {
            Misorder::AsPickedUp
        })
    }
}

/// How results that are all there came back out of the input's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misorder {
    /// In the order they finished: stored as they came in (a push into a shared collection).
    AsFinished,
    /// Neither in the input's order nor as they finished: each worker's results kept together,
    /// in the order that worker picked its items up.
    AsPickedUp,
}

/// `order` (input indices) as runs of consecutive indices: "8–15, 0–7".
pub fn runs(order: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &item in order {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == item => *last = item,
            _ => runs.push((item, item)),
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .take(8)
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            }
        })
        .collect();
    let more = if runs.len() > 8 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Whether `order` is made of runs of consecutive indices, each in order, put together in
/// another order: what joining pieces the wrong way round gives.
pub fn pieces_swapped(order: &[usize]) -> bool {
    let runs = order
        .windows(2)
        .filter(|pair| pair[0] + 1 != pair[1])
        .count()
        + 1;
    runs > 1 && runs <= order.len() / 2
}
