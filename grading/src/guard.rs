//! A process-wide watchdog for polls made by hand, and for runtimes a grader did not build.
//!
//! A poll that never returns (a `Condvar` wait, a `block_on`, a join of a thread that waits for
//! the task) blocks the very thread that would report it. Every hand poll the helpers make
//! ([`crate::handpoll::HandPoll`], [`crate::poll::poll_once`], [`crate::eager::EagerPoll`]...)
//! is registered here while it runs; one guard thread per process looks at them every 20 ms
//! and, when one has not returned after [`HUNG`], prints the verdict as the check's panic and
//! ends the process (each check runs in a process of its own). The same thread pings the
//! runtimes of `#[tokio::test]`s that called [`crate::health::watch_runtime`].
//!
//! A poll on a thread that a [`crate::watchdog::Watchdog`] (or [`crate::runtime::Run`])
//! watches is left to that watchdog, which words the verdict with the grader's explanation.
//! Whichever reports first wins; the other stays silent, so a check gets one verdict.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::health::{HealthInner, Stuck};

/// A poll (or a runtime stall) still going after this long is reported at once: no legitimate
/// poll comes near it (the slowest measured under load took a few milliseconds), and the
/// mistakes it catches never return at all.
pub const HUNG: Duration = Duration::from_secs(1);

const CHECK_EVERY: Duration = Duration::from_millis(20);

/// The usual way out of a blocking hand poll.
pub const HAND_POLL_FIX: &str = "return Pending at once and let the event wake the task";

/// What usually blocks a poll made by hand.
pub const HAND_POLL_CAUSES: &str =
    "a lock or Condvar wait, a join, a block_on, a sleep or a spin inside poll";

struct ActivePoll {
    id: u64,
    thread: ThreadId,
    since: Instant,
    what: Arc<str>,
    fix: Arc<str>,
}

#[derive(Default)]
struct Guard {
    polls: Mutex<Vec<ActivePoll>>,
    watched: Mutex<Vec<(u64, ThreadId)>>,
    runtimes: Mutex<Vec<Weak<HealthInner>>>,
    next_id: AtomicU64,
}

static GUARD: OnceLock<Guard> = OnceLock::new();
static REPORTED: AtomicBool = AtomicBool::new(false);
/// Threads a watchdog gave up on: stuck for good, their check already failed.
static ABANDONED: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

/// Marks `thread` as given up on: its check has its verdict, whatever it does next is noise.
pub(crate) fn abandon(thread: ThreadId) {
    lock(&ABANDONED).push(thread);
}

/// Whether the current thread was given up on (see [`abandon`]).
pub(crate) fn this_thread_is_abandoned() -> bool {
    let me = thread::current().id();
    ABANDONED
        .lock()
        .map(|threads| threads.contains(&me))
        .unwrap_or(false)
}

fn guard() -> &'static Guard {
    GUARD.get_or_init(|| {
        crate::panics::install_hook();
        thread::Builder::new()
            .name("asynclings-guard".into())
            .spawn(guard_loop)
            .expect("the grader could not start its guard thread");
        Guard::default()
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Claims the right to give this process's verdict; false if someone else already did.
pub(crate) fn claim_report() -> bool {
    !REPORTED.swap(true, Ordering::SeqCst)
}

/// Runs `poll` (one poll of the learner's future, made by hand on this thread) under the
/// guard. `what` names it in a verdict ("Parcel"), `fix` is the way out.
pub(crate) fn guarded<R>(what: &Arc<str>, fix: &Arc<str>, poll: impl FnOnce() -> R) -> R {
    let guard = guard();
    let id = guard.next_id.fetch_add(1, Ordering::Relaxed);
    lock(&guard.polls).push(ActivePoll {
        id,
        thread: thread::current().id(),
        since: Instant::now(),
        what: Arc::clone(what),
        fix: Arc::clone(fix),
    });
    struct Done(u64);
    impl Drop for Done {
        fn drop(&mut self) {
            if let Some(guard) = GUARD.get() {
                lock(&guard.polls).retain(|p| p.id != self.0);
            }
        }
    }
    let _done = Done(id);
    poll()
}

/// The oldest hand poll in progress on `thread`: how long it has run, its name and its fix.
pub(crate) fn hand_poll_on(thread: ThreadId) -> Option<(Duration, Arc<str>, Arc<str>)> {
    let guard = GUARD.get()?;
    let polls = lock(&guard.polls);
    polls
        .iter()
        .filter(|p| p.thread == thread)
        .min_by_key(|p| p.since)
        .map(|p| (p.since.elapsed(), Arc::clone(&p.what), Arc::clone(&p.fix)))
}

/// Leaves the polls on a thread to the watchdog that watches it, until dropped.
pub(crate) struct WatchedThread {
    id: u64,
}

pub(crate) fn watch_thread(thread: ThreadId) -> WatchedThread {
    let guard = guard();
    let id = guard.next_id.fetch_add(1, Ordering::Relaxed);
    lock(&guard.watched).push((id, thread));
    WatchedThread { id }
}

impl Drop for WatchedThread {
    fn drop(&mut self) {
        if let Some(guard) = GUARD.get() {
            lock(&guard.watched).retain(|(id, _)| *id != self.id);
        }
    }
}

/// Pings the heartbeat of a runtime the helpers did not build, and reports its stalls.
pub(crate) fn watch_runtime_health(health: &Arc<HealthInner>) {
    lock(&guard().runtimes).push(Arc::downgrade(health));
}

fn guard_loop() {
    loop {
        thread::sleep(CHECK_EVERY);
        let Some(guard) = GUARD.get() else { continue };
        let hung = {
            let watched: Vec<ThreadId> = lock(&guard.watched).iter().map(|(_, t)| *t).collect();
            let polls = lock(&guard.polls);
            polls
                .iter()
                .filter(|p| !watched.contains(&p.thread) && p.since.elapsed() >= HUNG)
                .min_by_key(|p| p.since)
                // The bound crossed, not the moment this look happened to come: the same
                // verdict on every run.
                .map(|p| Stuck::HandPoll {
                    took: HUNG,
                    what: Arc::clone(&p.what),
                    fix: Arc::clone(&p.fix),
                })
        };
        if let Some(stuck) = hung {
            report_and_exit(&stuck.verdict(&Default::default()));
        }
        let runtimes: Vec<Arc<HealthInner>> = {
            let mut runtimes = lock(&guard.runtimes);
            runtimes.retain(|r| r.strong_count() > 0);
            runtimes.iter().filter_map(Weak::upgrade).collect()
        };
        for health in runtimes {
            health.tick();
            if health.stall_now().is_some_and(|s| s >= HUNG) {
                let stuck = Stuck::Stalled {
                    took: HUNG,
                    ongoing: true,
                };
                report_and_exit(&stuck.verdict(&Default::default()));
            }
        }
    }
}

/// Prints `verdict` as this check's failure (a panic message, as libtest shows one) and ends
/// the process: the thread that should fail the check is stuck for good.
fn report_and_exit(verdict: &str) {
    if !claim_report() {
        // Another watchdog is reporting; it ends the check.
        return;
    }
    crate::panics::flush_repeats();
    let verdict = verdict.to_owned();
    let _ = catch_unwind(AssertUnwindSafe(move || -> () { panic!("{verdict}") }));
    std::process::exit(101);
}

/// A short name for a future's type in a verdict: `wakers::Parcel<&str>` → "Parcel"; an
/// `async` block or a trait object → "the future".
pub(crate) fn short_type_name<F: ?Sized>() -> Arc<str> {
    let full = std::any::type_name::<F>();
    let without_generics = full.split('<').next().unwrap_or(full);
    let last = without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics);
    if last.is_empty() || last.contains('{') || last == "Future" || last.starts_with("dyn ") {
        Arc::from("the future")
    } else {
        Arc::from(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Parcel<T>(T);

    #[test]
    fn names_futures_by_their_type() {
        assert_eq!(&*short_type_name::<Parcel<&str>>(), "Parcel");
        assert_eq!(
            &*short_type_name::<dyn std::future::Future<Output = ()>>(),
            "the future"
        );
        let block = async {};
        fn name_of<T>(_: &T) -> Arc<str> {
            short_type_name::<T>()
        }
        assert_eq!(&*name_of(&block), "the future");
    }

    #[test]
    fn a_quick_guarded_poll_leaves_nothing_behind() {
        let what: Arc<str> = Arc::from("Parcel");
        let fix: Arc<str> = Arc::from(HAND_POLL_FIX);
        assert_eq!(guarded(&what, &fix, || 5), 5);
        assert!(hand_poll_on(thread::current().id()).is_none());
    }
}
