//! Polling a future by hand, the way an executor would, and naming what it did with its
//! waker: kept none, woke itself, kept an old one, or was never woken by the event it waits for.
//!
//! Each check returns `Err(verdict)` with the mistake, a measured figure and the grader's
//! `fix` (the exercise's words for the way out), so that a grader can add context or panic
//! with it as it is (`.unwrap_or_else(|v| panic!("{v}"))`).
//!
//! Every poll runs under the process-wide guard ([`crate::guard`]): a poll that never returns
//! (a `Condvar` wait, a `block_on`, a join inside `poll`) ends the check after
//! [`crate::guard::HUNG`] with "a poll of Parcel had not returned after 1.00 s: it blocked the
//! thread (...); `blocking_fix`".

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use crate::blocking::BLOCKING_POLL;
use crate::guard::{HAND_POLL_CAUSES, HAND_POLL_FIX, guarded, short_type_name};
use crate::units::format_duration;
use crate::wakers::CountingWaker;

/// What the latest poll did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollRecord {
    pub ready: bool,
    /// Wake-ups of the poll's own waker during the poll (a future waking itself).
    pub woke_itself: usize,
    /// Copies of the poll's waker kept alive after the poll (by the future, a timer, a thread).
    pub copies_held: usize,
    pub took: Duration,
}

/// A future polled by hand with counting wakers.
///
/// ```
/// # use asynclings_grading::handpoll::HandPoll;
/// let (_sender, receiver) = futures::channel::oneshot::channel::<u32>();
/// let mut hand = HandPoll::new(receiver);
/// assert!(hand.poll().is_pending());
/// hand.check_kept_waker("store cx.waker()").unwrap();
/// hand.check_no_self_wake("let the sender wake it").unwrap();
/// ```
pub struct HandPoll<F: Future> {
    future: Pin<Box<F>>,
    wakers: Vec<CountingWaker>,
    polls: usize,
    last: PollRecord,
    /// Wake counts right after the latest poll: of its waker, and of all earlier ones.
    baseline: (usize, usize),
    longest: Duration,
    name: Arc<str>,
    blocking_fix: Arc<str>,
}

/// What [`HandPoll::drive`] saw while playing executor.
#[derive(Debug)]
pub struct Drive<T> {
    pub output: Option<T>,
    pub polls: usize,
    /// Wake-ups a poll gave its own task (nothing else happens while driving).
    pub self_wakes: usize,
    /// The quickest poll: one that sleeps inside poll is never quick, however loaded the
    /// machine.
    pub quickest_poll: Duration,
    /// Real time spent driving.
    pub elapsed: Duration,
}

impl<F: Future> HandPoll<F> {
    pub fn new(future: F) -> Self {
        Self {
            future: Box::pin(future),
            wakers: vec![CountingWaker::new()],
            polls: 0,
            last: PollRecord::default(),
            baseline: (0, 0),
            longest: Duration::ZERO,
            name: short_type_name::<F>(),
            blocking_fix: Arc::from(HAND_POLL_FIX),
        }
    }

    /// The future's name in verdicts (default: its type's name, "Parcel").
    pub fn named(mut self, name: &str) -> Self {
        self.name = Arc::from(name);
        self
    }

    /// The way out when a poll blocks (default: "return Pending at once and let the event
    /// wake the task").
    pub fn blocking_fix(mut self, fix: &str) -> Self {
        self.blocking_fix = Arc::from(fix);
        self
    }

    /// Polls once with the current waker.
    pub fn poll(&mut self) -> Poll<F::Output> {
        let waker = self.wakers.last().expect("there is always a waker");
        let wakes_before = waker.wake_count();
        let started = Instant::now();
        let future = self.future.as_mut();
        let result = guarded(&self.name, &self.blocking_fix, || {
            future.poll(&mut waker.context())
        });
        let took = started.elapsed();
        self.longest = self.longest.max(took);
        self.polls += 1;
        self.baseline = (
            waker.wake_count(),
            self.wakers[..self.wakers.len() - 1]
                .iter()
                .map(CountingWaker::wake_count)
                .sum(),
        );
        self.last = PollRecord {
            ready: result.is_ready(),
            woke_itself: waker.wake_count() - wakes_before,
            copies_held: waker.copies_held(),
            took,
        };
        result
    }

    /// Polls once with a fresh waker, as when the future moved to another task (a `select!`
    /// gave up on it, and a spawned task awaits it now).
    pub fn poll_with_new_waker(&mut self) -> Poll<F::Output> {
        self.wakers.push(CountingWaker::new());
        self.poll()
    }

    /// The waker of the latest poll.
    pub fn waker(&self) -> &CountingWaker {
        self.wakers.last().expect("there is always a waker")
    }

    /// The wakers of polls before the latest waker change.
    pub fn earlier_wakers(&self) -> &[CountingWaker] {
        &self.wakers[..self.wakers.len() - 1]
    }

    pub fn polls(&self) -> usize {
        self.polls
    }

    pub fn last_poll(&self) -> PollRecord {
        self.last
    }

    /// The future, to poll it some other way.
    pub fn future(&mut self) -> Pin<&mut F> {
        self.future.as_mut()
    }

    /// `Err(verdict)` if a poll so far took [`BLOCKING_POLL`] or more: "a poll of Parcel took
    /// 1.20 s: it blocked the thread (...); `fix`".
    pub fn check_no_blocking(&self, fix: &str) -> Result<(), String> {
        if self.longest < BLOCKING_POLL {
            return Ok(());
        }
        Err(format!(
            "a poll of {} took {}: it blocked the thread ({HAND_POLL_CAUSES}); {fix}",
            self.name,
            format_duration(self.longest)
        ))
    }

    /// After a `Pending` poll: did it leave a copy of its waker somewhere?
    pub fn check_kept_waker(&self, fix: &str) -> Result<(), String> {
        if self.last.ready || self.last.copies_held > 0 || self.last.woke_itself > 0 {
            return Ok(());
        }
        Err(format!(
            "returned Pending but kept no waker: nothing will ever poll it again; {fix}"
        ))
    }

    /// After a `Pending` poll: did it wake its own task although nothing had happened?
    pub fn check_no_self_wake(&self, fix: &str) -> Result<(), String> {
        match self.last.woke_itself {
            0 => Ok(()),
            wakes => Err(format!(
                "woke its own task during the poll ({wakes} wake-up(s)) although nothing had \
                 happened: the executor polls it again at once, a busy loop; {fix}"
            )),
        }
    }

    /// Runs `event` (what the future waits for), then checks that the waker of the latest poll
    /// was woken. `event_name` says what happened ("the delivery").
    pub fn check_woken_by(
        &mut self,
        event_name: &str,
        event: impl FnOnce(),
        fix: &str,
    ) -> Result<(), String> {
        self.check_woken_within(event_name, event, Duration::ZERO, fix)
    }

    /// Like [`HandPoll::check_woken_by`], for an event that wakes from another thread: waits
    /// up to `patience` (real time) for the wake-up.
    pub fn check_woken_within(
        &mut self,
        event_name: &str,
        event: impl FnOnce(),
        patience: Duration,
        fix: &str,
    ) -> Result<(), String> {
        let latest = self.waker();
        let before = latest.wake_count();
        let earlier_before: usize = self.earlier_wakers().iter().map(|w| w.wake_count()).sum();
        event();
        let deadline = Instant::now() + patience;
        while self.waker().wake_count() == before && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.woken_verdict(event_name, (before, earlier_before), fix)
    }

    /// After an event that already happened (a timer advanced, a thread joined): was the
    /// waker of the latest poll woken since that poll? The verdicts are those of
    /// [`HandPoll::check_woken_by`].
    pub fn check_woken_since_poll(&self, event_name: &str, fix: &str) -> Result<(), String> {
        self.woken_verdict(event_name, self.baseline, fix)
    }

    fn woken_verdict(
        &self,
        event_name: &str,
        (before, earlier_before): (usize, usize),
        fix: &str,
    ) -> Result<(), String> {
        if self.waker().wake_count() > before {
            return Ok(());
        }
        let earlier_after: usize = self.earlier_wakers().iter().map(|w| w.wake_count()).sum();
        let verdict = if earlier_after > earlier_before {
            format!(
                "woke the waker from an earlier poll (stale), not the one from the latest poll: \
                 after {event_name}, the task now awaiting it sleeps forever; {fix}"
            )
        } else if self.last.copies_held > 0 {
            format!(
                "never woken after {event_name}: the future kept a waker, but nothing woke it; \
                 {fix}"
            )
        } else {
            format!(
                "never woken after {event_name}: the future returned Pending but kept no waker, \
                 so there was nothing to wake; {fix}"
            )
        };
        Err(verdict)
    }

    /// After the latest waker change: are copies of earlier wakers still held?
    pub fn check_let_go_of_earlier_wakers(&self, fix: &str) -> Result<(), String> {
        let stale: usize = self.earlier_wakers().iter().map(|w| w.copies_held()).sum();
        if stale == 0 {
            Ok(())
        } else if self.waker().copies_held() == 0 {
            Err(format!(
                "kept the waker from an earlier poll (stale) and not the one from the latest \
                 poll: the task awaiting it now will never be woken; {fix}"
            ))
        } else {
            Err(format!(
                "still holds the waker from an earlier poll ({stale} kept) next to the latest \
                 one: that task no longer awaits this future; {fix}"
            ))
        }
    }

    /// After a `Pending` poll: polls again each time the waker is woken, until the future is
    /// ready or `patience` has passed; see [`follow_wakes`].
    pub fn follow_wakes(&mut self, patience: Duration) -> (Option<F::Output>, usize) {
        let seen = self.waker().wake_count() - self.last.woke_itself;
        let waker = self.wakers.last().expect("there is always a waker");
        let (output, polls) = follow_wakes_guarded(
            self.future.as_mut(),
            waker,
            seen,
            patience,
            (&self.name, &self.blocking_fix),
        );
        self.polls += polls;
        (output, polls)
    }

    /// Plays executor for up to `window` (real time) or `cap` polls: polls, then polls again
    /// each time the waker is woken, until the future is ready. A future that waits properly
    /// is polled once (or twice) in that time; one that wakes itself is polled over and over.
    pub fn drive(&mut self, window: Duration, cap: usize) -> Drive<F::Output> {
        let started = Instant::now();
        let until = started + window;
        let mut quickest_poll = Duration::MAX;
        let mut polls = 0;
        let mut self_wakes = 0;
        loop {
            let seen = self.waker().wake_count();
            let result = self.poll();
            polls += 1;
            self_wakes += self.last.woke_itself;
            quickest_poll = quickest_poll.min(self.last.took);
            if let Poll::Ready(output) = result {
                return Drive {
                    output: Some(output),
                    polls,
                    self_wakes,
                    quickest_poll,
                    elapsed: started.elapsed(),
                };
            }
            while self.waker().wake_count() <= seen && Instant::now() < until {
                thread::yield_now();
            }
            if Instant::now() >= until || polls >= cap {
                return Drive {
                    output: None,
                    polls,
                    self_wakes,
                    quickest_poll,
                    elapsed: started.elapsed(),
                };
            }
        }
    }
}

/// After a `Pending` poll, polls `future` again each time `waker` is woken (as an executor
/// would), until it is ready or `patience` (real time) has passed: for futures woken from other
/// threads. `seen` is the wake count before that `Pending` poll, so a wake-up that came during
/// or after it counts. Returns the output, if any, and how many polls were made here.
pub fn follow_wakes<F: Future + ?Sized>(
    future: Pin<&mut F>,
    waker: &CountingWaker,
    seen: usize,
    patience: Duration,
) -> (Option<F::Output>, usize) {
    let name = short_type_name::<F>();
    let fix: Arc<str> = Arc::from(HAND_POLL_FIX);
    follow_wakes_guarded(future, waker, seen, patience, (&name, &fix))
}

fn follow_wakes_guarded<F: Future + ?Sized>(
    mut future: Pin<&mut F>,
    waker: &CountingWaker,
    mut seen: usize,
    patience: Duration,
    (name, fix): (&Arc<str>, &Arc<str>),
) -> (Option<F::Output>, usize) {
    let deadline = Instant::now() + patience;
    let mut polls = 0;
    loop {
        while waker.wake_count() <= seen {
            if Instant::now() >= deadline {
                return (None, polls);
            }
            thread::sleep(Duration::from_millis(1));
        }
        seen = waker.wake_count();
        polls += 1;
        let this_poll = future.as_mut();
        if let Poll::Ready(output) = guarded(name, fix, || this_poll.poll(&mut waker.context())) {
            return (Some(output), polls);
        }
    }
}

impl<T> Drive<T> {
    /// `Err(verdict)` if the future woke its own task, or was polled more than `max_polls`
    /// times, while nothing happened: a busy loop.
    pub fn check_not_busy(&self, max_polls: usize, fix: &str) -> Result<(), String> {
        if self.polls <= max_polls && self.self_wakes == 0 {
            return Ok(());
        }
        let blocking = if self.quickest_poll >= Duration::from_millis(1) {
            format!(
                " (and every poll blocked the thread for {:.1} ms or more)",
                self.quickest_poll.as_secs_f64() * 1000.0
            )
        } else {
            String::new()
        };
        Err(format!(
            "woke itself on every poll: {} polls in {} ms while nothing happened{blocking}, a \
             busy loop that keeps a CPU core busy for nothing; {fix}",
            self.polls,
            self.elapsed.as_millis()
        ))
    }
}
