//! An executor at its most eager: a waker whose `wake()` has the future polled right away,
//! before `wake()` returns, to decide "store the result, then wake" without the scheduler.
//!
//! An event source (a courier, a helper thread, a sensor) must make its event visible *before*
//! it wakes the task: an executor may poll the task the instant it is woken, on another
//! thread, and a poll that still sees nothing returns `Pending`; if the source then stores the
//! result and never wakes again, the task sleeps forever. With an ordinary waker that race is
//! won or lost by the scheduler, so the mistake passes most runs. [`EagerPoll`] makes every
//! wake-up lose it: `wake()` waits until the future has been polled (on the thread that
//! serves the polls, the check's own thread) and only then lets the source go on.
//!
//! Waking while still holding the lock the future needs is not a mistake (the poll cannot look
//! before the lock is released): the poll then blocks on that lock, `wake()` sees the polling
//! thread asleep in the kernel and returns, and the poll goes on once the lock is released.
//! Telling a poll that waits for a lock from one that is merely slow uses the thread's state
//! from `/proc` (Linux); elsewhere `wake()` waits at most two seconds instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::cpu::ThreadCpu;
use crate::guard::{HAND_POLL_FIX, guarded, short_type_name};

/// Polls after which a future that keeps waking itself counts as a busy loop.
const POLL_CAP: usize = 1000;

/// How long `wake()` waits for its poll when it cannot tell whether the polling thread waits
/// for a lock the waking thread holds.
const WAKE_PATIENCE: Duration = Duration::from_secs(2);

#[derive(Default)]
struct State {
    requested: u64,
    done: u64,
    /// A wake-up is among the poll requests not served yet.
    wake_pending: bool,
    /// The thread serving polls now, and its CPU state.
    serving: Option<(ThreadId, Option<ThreadCpu>)>,
    polling: bool,
    ready: bool,
    wakes: usize,
    self_wakes: usize,
    polls: usize,
    /// Whether the latest poll was made because of a wake-up, and what it returned.
    last_poll_after_wake: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.lock();
        state.wakes += 1;
        if state.ready {
            return;
        }
        state.requested += 1;
        state.wake_pending = true;
        let mine = state.requested;
        self.changed.notify_all();
        let Some((server, server_cpu)) = state.serving else {
            return;
        };
        if thread::current().id() == server {
            // Woken from inside its own poll: the server polls again when this poll returns.
            state.self_wakes += 1;
            return;
        }
        // Like an eager executor, poll now, before the source goes on.
        let started = Instant::now();
        let mut asleep = 0;
        while state.done < mine && state.serving.is_some() {
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(1))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if state.polling {
                match server_cpu.and_then(|cpu| cpu.is_sleeping()) {
                    // Waiting in the kernel inside poll: for a lock this thread holds, most
                    // likely; the poll goes on once the source releases it.
                    Some(true) => asleep += 1,
                    _ => asleep = 0,
                }
                if asleep >= 3 {
                    break;
                }
            }
            if started.elapsed() >= WAKE_PATIENCE {
                break;
            }
        }
    }
}

/// A future polled by hand whose waker has it polled again at once, from inside `wake()`.
///
/// ```
/// # use asynclings_grading::prelude::*;
/// # use std::sync::{Arc, Mutex};
/// # use std::task::{Poll, Waker};
/// # #[derive(Default)] struct Slot { parcel: Option<u32>, waker: Option<Waker> }
/// # let slot = Arc::new(Mutex::new(Slot::default()));
/// # let inside = Arc::clone(&slot);
/// let parcel = std::future::poll_fn(move |cx| {
///     let mut slot = inside.lock().unwrap();
///     match slot.parcel.take() {
///         Some(parcel) => Poll::Ready(parcel),
///         None => { slot.waker = Some(cx.waker().clone()); Poll::Pending }
///     }
/// });
/// let mut eager = EagerPoll::new(parcel);
/// assert!(eager.poll().is_pending());
/// // Known bad: wakes first, stores second.
/// let verdict = eager.check_ready_after("the delivery", || {
///     let waker = slot.lock().unwrap().waker.take();
///     waker.unwrap().wake();
///     slot.lock().unwrap().parcel = Some(7);
/// }, std::time::Duration::ZERO, "store the parcel, then wake").unwrap_err();
/// assert!(verdict.starts_with("woke the task before the result was stored"));
/// ```
pub struct EagerPoll<F: Future> {
    future: Pin<Box<F>>,
    shared: Arc<Shared>,
    waker: Waker,
    output: Option<F::Output>,
    name: Arc<str>,
    blocking_fix: Arc<str>,
}

impl<F: Future> EagerPoll<F> {
    pub fn new(future: F) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::default(),
            changed: Condvar::new(),
        });
        Self {
            future: Box::pin(future),
            waker: Waker::from(Arc::clone(&shared)),
            shared,
            output: None,
            name: short_type_name::<F>(),
            blocking_fix: Arc::from(HAND_POLL_FIX),
        }
    }

    /// The future's name in verdicts (default: its type's name).
    pub fn named(mut self, name: &str) -> Self {
        self.name = Arc::from(name);
        self
    }

    /// The way out when a poll blocks (see [`crate::guard`]).
    pub fn blocking_fix(mut self, fix: &str) -> Self {
        self.blocking_fix = Arc::from(fix);
        self
    }

    /// Polls once (on this thread), as the executor's first poll.
    pub fn poll(&mut self) -> Poll<F::Output> {
        let mine = {
            let mut state = self.shared.lock();
            state.requested += 1;
            state.requested
        };
        self.serve(|state| state.done >= mine, None);
        match self.output.take() {
            Some(output) => Poll::Ready(output),
            None => Poll::Pending,
        }
    }

    /// Wake-ups so far (of any copy of the waker).
    pub fn wakes(&self) -> usize {
        self.shared.lock().wakes
    }

    /// Polls so far.
    pub fn polls(&self) -> usize {
        self.shared.lock().polls
    }

    /// Copies of the waker kept alive now (by the future, a thread, a timer).
    pub fn copies_held(&self) -> usize {
        Arc::strong_count(&self.shared).saturating_sub(2)
    }

    /// Runs `event` on another thread (a delivery, a thread finishing its job) while this
    /// thread polls the future each time it is woken, at once. Waits for the event to return,
    /// then up to `patience` (real time; zero for an event that wakes before it returns) for
    /// the future to be ready. `Err(verdict)`, ending with `fix`, when it is not:
    /// - "woke the task before the result was stored: a poll right after the wake still saw
    ///   Pending, and nothing woke it again";
    /// - "never woken after the delivery" (kept a waker or not);
    /// - a busy loop (it kept waking itself).
    pub fn check_ready_after(
        &mut self,
        event_name: &str,
        event: impl FnOnce() + Send,
        patience: Duration,
        fix: &str,
    ) -> Result<F::Output, String> {
        let started = Instant::now();
        let mut event_panic = None;
        // Serving from before the event starts: its wake-up must find a poller waiting.
        self.begin_serving();
        thread::scope(|scope| {
            let happening = scope.spawn(event);
            self.serve(
                |state| {
                    state.ready
                        || (happening.is_finished()
                            && state.requested == state.done
                            && started.elapsed() >= patience)
                },
                None,
            );
            if let Err(panic) = happening.join() {
                event_panic = Some(panic);
            }
        });
        if let Some(panic) = event_panic {
            std::panic::resume_unwind(panic);
        }
        if let Some(output) = self.output.take() {
            return Ok(output);
        }
        let state = self.shared.lock();
        let verdict = if state.polls >= POLL_CAP {
            format!(
                "woke itself on every poll: {} polls while waiting for {event_name}, a busy loop \
                 that keeps a CPU core busy for nothing; {fix}",
                state.polls
            )
        } else if state.wakes == 0 {
            if self.copies_held() > 0 {
                format!(
                    "never woken after {event_name}: the future kept a waker, but nothing woke \
                     it; {fix}"
                )
            } else {
                format!(
                    "never woken after {event_name}: the future returned Pending but kept no \
                     waker, so there was nothing to wake; {fix}"
                )
            }
        } else if state.last_poll_after_wake {
            format!(
                "woke the task before the result was stored: a poll right after the wake still \
                 saw Pending, and nothing woke it again after {event_name}; {fix}"
            )
        } else {
            format!(
                "woken during {event_name}, but every poll still returned Pending ({} polls); \
                 {fix}",
                state.polls
            )
        };
        Err(verdict)
    }

    fn begin_serving(&self) {
        self.shared.lock().serving = Some((thread::current().id(), ThreadCpu::current()));
    }

    /// Serves poll requests on this thread until `done` says so (checked before each poll).
    fn serve(&mut self, done: impl Fn(&State) -> bool, deadline: Option<Instant>) {
        self.begin_serving();
        loop {
            let mut state = self.shared.lock();
            if done(&state)
                || state.polls >= POLL_CAP
                || deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            if state.requested > state.done && !state.ready {
                let target = state.requested;
                let after_wake = std::mem::take(&mut state.wake_pending);
                state.polling = true;
                drop(state);
                let future = self.future.as_mut();
                let waker = &self.waker;
                let result = guarded(&self.name, &self.blocking_fix, || {
                    future.poll(&mut Context::from_waker(waker))
                });
                let mut state = self.shared.lock();
                state.polling = false;
                state.done = target;
                state.polls += 1;
                state.last_poll_after_wake = after_wake;
                if let Poll::Ready(output) = result {
                    state.ready = true;
                    self.output = Some(output);
                }
                self.shared.changed.notify_all();
                continue;
            }
            drop(
                self.shared
                    .changed
                    .wait_timeout(state, Duration::from_millis(1))
                    .unwrap_or_else(|e| e.into_inner()),
            );
        }
        self.shared.lock().serving = None;
        self.shared.changed.notify_all();
    }
}
