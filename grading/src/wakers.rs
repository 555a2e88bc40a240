//! A waker that counts what a future does with it.
//!
//! tokio-test's `task::spawn` answers "was I woken?"; graders of hand-written futures also need
//! "how many copies of my waker does the future keep?" (a future that returns `Pending` must keep
//! one) and "which of two wakers was woken?" (a stale waker). [`CountingWaker`] answers both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

#[derive(Default)]
struct Counters {
    wakes: AtomicUsize,
    clones: AtomicUsize,
    drops: AtomicUsize,
}

/// A waker that records wakes, clones and drops.
///
/// ```
/// use asynclings_grading::wakers::CountingWaker;
/// let counting = CountingWaker::new();
/// let copy = counting.waker().clone();
/// assert_eq!(counting.copies_held(), 1);
/// copy.wake();
/// assert_eq!(counting.wake_count(), 1);
/// assert_eq!(counting.copies_held(), 0);
/// ```
pub struct CountingWaker {
    counters: Arc<Counters>,
    waker: Waker,
}

impl CountingWaker {
    pub fn new() -> Self {
        let counters = Arc::new(Counters::default());
        let data = Arc::into_raw(Arc::clone(&counters)).cast::<()>();
        // SAFETY: `data` comes from `Arc::into_raw` of `Counters`, which is what the vtable
        // functions expect; the waker owns that one reference.
        let waker = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
        Self { counters, waker }
    }

    /// The waker to put in a [`Context`].
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// A context for polling by hand: `future.as_mut().poll(&mut counting.context())`.
    pub fn context(&self) -> Context<'_> {
        Context::from_waker(&self.waker)
    }

    /// How many times `wake` or `wake_by_ref` was called on this waker or a clone of it.
    pub fn wake_count(&self) -> usize {
        self.counters.wakes.load(Ordering::SeqCst)
    }

    /// Whether the waker was woken at least once since it was created.
    pub fn is_woken(&self) -> bool {
        self.wake_count() > 0
    }

    /// How many times the waker was cloned (by the future, a thread, a timer...).
    pub fn clone_count(&self) -> usize {
        self.counters.clones.load(Ordering::SeqCst)
    }

    /// How many clones are still alive somewhere: a future that returned `Pending` and arranged
    /// a wake-up keeps at least one (directly, or through a timer or channel it registered with).
    pub fn copies_held(&self) -> usize {
        let clones = self.counters.clones.load(Ordering::SeqCst);
        let drops = self.counters.drops.load(Ordering::SeqCst);
        clones.saturating_sub(drops)
    }
}

impl Default for CountingWaker {
    fn default() -> Self {
        Self::new()
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
/// `data` must come from `Arc::<Counters>::into_raw` and still own its reference.
unsafe fn counters<'a>(data: *const ()) -> &'a Counters {
    // SAFETY: guaranteed by the caller.
    unsafe { &*data.cast::<Counters>() }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the vtable contract gives us a live `data` from `into_raw`.
    unsafe {
        counters(data).clones.fetch_add(1, Ordering::SeqCst);
        Arc::increment_strong_count(data.cast::<Counters>());
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `wake` consumes the waker, so it releases its reference like `drop`.
    unsafe {
        counters(data).wakes.fetch_add(1, Ordering::SeqCst);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the vtable contract gives us a live `data`.
    unsafe { counters(data).wakes.fetch_add(1, Ordering::SeqCst) };
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: each clone (and the original) owns one strong reference, released here.
    unsafe {
        counters(data).drops.fetch_add(1, Ordering::SeqCst);
        Arc::decrement_strong_count(data.cast::<Counters>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_clones_wakes_and_drops() {
        let counting = CountingWaker::new();
        assert_eq!(counting.copies_held(), 0);
        let a = counting.waker().clone();
        let b = a.clone();
        assert_eq!(counting.clone_count(), 2);
        assert_eq!(counting.copies_held(), 2);
        b.wake_by_ref();
        b.wake();
        assert_eq!(counting.wake_count(), 2);
        assert_eq!(counting.copies_held(), 1);
        drop(a);
        assert_eq!(counting.copies_held(), 0);
        assert!(counting.is_woken());
    }

    #[test]
    fn will_wake_recognises_its_own_clones() {
        let counting = CountingWaker::new();
        let other = CountingWaker::new();
        let copy = counting.waker().clone();
        assert!(copy.will_wake(counting.waker()));
        assert!(!copy.will_wake(other.waker()));
    }
}
