//! The runtime's health, watched from outside its threads: blocked polls, stalls and busy
//! loops, on a paused or a real clock, on a current-thread or a multi-thread runtime.
//!
//! [`crate::runtime::Run`] watches three things by default:
//! - every poll of the future under test is timed ([`crate::blocking::PollStopwatch`]);
//! - a *heartbeat* task on the runtime answers pings that the watchdog thread sends every
//!   10 ms. It waits on a channel, not on a timer, so on a paused clock it never moves virtual
//!   time (the would-hang oracle still sees an idle runtime as idle). A ping left unanswered
//!   means no task could run: something held the runtime's thread(s) (a blocked poll,
//!   anywhere, including inside `tokio::spawn`);
//! - tokio's `on_thread_park` / `on_thread_unpark` hooks say when each runtime thread last went
//!   idle. A runtime whose heartbeat answers but whose thread never goes idle is busy: a task
//!   that wakes itself or spins with `yield_now`. On a paused clock, that also stops virtual
//!   time. On a multi-thread runtime, a worker that stays inside one task, asleep in the
//!   kernel (its state, looked at every 10 ms), is blocked.
//!
//! [`Stuck`] is what was found, and [`Stuck::verdict`] words it, with the grader's own
//! explanation when it gave one ([`Explanations`]).
//!
//! In a `#[tokio::test]`, whose runtime the helpers do not build, [`watch_runtime`] starts the
//! heartbeat on the test's runtime, and the process-wide guard ([`crate::guard`]) pings it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::blocking::{BLOCKING_CAUSES, BLOCKING_FIX, BLOCKING_POLL, PollStopwatch, RUNTIME_STALL};
use crate::cpu::{StateLooks, ThreadCpu};
use crate::guard::HAND_POLL_CAUSES;
use crate::units::format_duration;

/// A runtime thread that has not gone idle for this long (real time) while other tasks still
/// got their turn is busy looping. Legitimate runtimes go idle between events; a loaded
/// machine delays a thread by at most a few hundred milliseconds.
pub const RUNTIME_BUSY: Duration = Duration::from_secs(1);

/// How often the watchdog pings the heartbeat (when the previous ping was answered).
pub(crate) const PING_EVERY: Duration = Duration::from_millis(10);

/// A runtime whose heartbeat answered within this is still giving its tasks their turns.
const ANSWERED_LATELY: Duration = Duration::from_millis(250);

/// What a check found wrong with the runtime or with a poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stuck {
    /// A poll of the future under test took `took` (or, if `!returned`, has not returned after
    /// `took`).
    BlockedPoll { took: Duration, returned: bool },
    /// A poll made by hand (`what`, e.g. "Parcel") has not returned after `took`.
    HandPoll {
        took: Duration,
        what: Arc<str>,
        fix: Arc<str>,
    },
    /// No task could run for `took`: something held the runtime's thread(s).
    Stalled { took: Duration, ongoing: bool },
    /// A worker thread of a multi-thread runtime stayed inside one task for `took`, asleep.
    BlockedWorker { took: Duration },
    /// The thread of a current-thread runtime did not go idle for `took` and sat asleep in the
    /// kernel most of that time: its tasks blocked it in pieces short enough for the other
    /// tasks to get a turn now and then (a blocking call per item, between awaits).
    BlockedInPieces { took: Duration },
    /// The future under test finished, but the runtime could not shut down: a task on its
    /// blocking pool (`spawn_blocking`) never returned, and dropping a runtime waits for those.
    /// Reported only at the watchdog's limit.
    ShutdownWait,
    /// The runtime did not go idle for `took` of real time, though its tasks got their turns.
    Busy {
        took: Duration,
        /// On a paused clock: the virtual instant at which time stood still.
        virtual_at: Option<Duration>,
    },
}

/// A grader's own explanations, one per kind of hang; `None` takes the helpers' wording.
#[derive(Clone, Debug, Default)]
pub struct Explanations {
    /// A poll that never returned (or took too long), a stalled runtime.
    pub blocked: Option<String>,
    /// A runtime that never went idle (a busy loop).
    pub busy: Option<String>,
    /// An idle task that nothing woke (a deadlock, a lost wake-up).
    pub never_woken: Option<String>,
}

impl Stuck {
    /// Whether it is a blocking kind (not a busy loop).
    pub fn is_blocking(&self) -> bool {
        !matches!(self, Stuck::Busy { .. })
    }

    /// The measured facts, in a few words: "one poll took 1.50 s: it blocked the thread".
    pub fn facts(&self) -> String {
        match self {
            Stuck::BlockedPoll {
                took,
                returned: true,
            } => format!(
                "one poll took {}: it blocked the thread",
                format_duration(*took)
            ),
            Stuck::BlockedPoll {
                took,
                returned: false,
            } => format!(
                "one poll had not returned after {}: it blocked the thread",
                format_duration(*took)
            ),
            Stuck::HandPoll { took, what, .. } => format!(
                "a poll of {what} had not returned after {}: it blocked the thread",
                format_duration(*took)
            ),
            Stuck::Stalled {
                took,
                ongoing: false,
            } => format!(
                "the runtime stalled for {}: a task held its thread without returning to the \
                 scheduler, so no other task could run",
                format_duration(*took)
            ),
            Stuck::Stalled {
                took,
                ongoing: true,
            } => format!(
                "the runtime had stalled for {}: a task held its thread and did not return to \
                 the scheduler, so no other task could run",
                format_duration(*took)
            ),
            Stuck::BlockedWorker { took } => format!(
                "a worker thread of the runtime was blocked for {} inside one task, asleep \
                 (waiting, not computing)",
                format_duration(*took)
            ),
            Stuck::BlockedInPieces { took } => format!(
                "the runtime's thread did not go idle for {} and sat blocked (asleep, not \
                 computing) most of that time: tasks blocked it in pieces, and the other tasks \
                 only got turns in between",
                format_duration(*took)
            ),
            Stuck::ShutdownWait => "the future under test finished, but the runtime could not \
                 shut down: a task on its blocking pool (spawn_blocking) never returned"
                .to_owned(),
            Stuck::Busy { took, virtual_at } => {
                let mut facts = format!(
                    "busy loop: the runtime did not go idle for {} of real time",
                    format_duration(*took)
                );
                if let Some(at) = virtual_at {
                    facts.push_str(&format!(
                        " and virtual time stood still at {}",
                        format_duration(*at)
                    ));
                }
                facts
            }
        }
    }

    /// The verdict: the grader's explanation for this kind with the facts in parentheses, or
    /// the helpers' own wording (the facts, the usual causes, the usual fix).
    pub fn verdict(&self, explanations: &Explanations) -> String {
        let own = if *self == Stuck::ShutdownWait {
            // The grader's words are about the future under test, which did finish.
            &None
        } else if self.is_blocking() {
            &explanations.blocked
        } else {
            &explanations.busy
        };
        if let Some(explanation) = own {
            return format!("{explanation} ({})", self.facts());
        }
        match self {
            Stuck::BlockedPoll {
                took,
                returned: true,
            } => crate::blocking::blocking_poll_verdict(*took, BLOCKING_FIX),
            Stuck::BlockedPoll {
                took,
                returned: false,
            } => format!(
                "one poll had not returned after {}: something inside async code blocked the \
                 thread ({BLOCKING_CAUSES}); {BLOCKING_FIX}",
                format_duration(*took)
            ),
            Stuck::HandPoll { fix, .. } => {
                format!("{} ({HAND_POLL_CAUSES}); {fix}", self.facts())
            }
            Stuck::Stalled { .. } | Stuck::BlockedWorker { .. } | Stuck::BlockedInPieces { .. } => {
                format!("{} ({BLOCKING_CAUSES}); {BLOCKING_FIX}", self.facts())
            }
            Stuck::ShutdownWait => format!(
                "{}: blocking work must end (or be told to stop) before the async code that \
                 started it returns",
                self.facts()
            ),
            Stuck::Busy { .. } => format!(
                "{}: a task wakes itself, or yields (yield_now) in a loop, instead of waiting \
                 for its event; keep the waker and let the event wake the task",
                self.facts()
            ),
        }
    }
}

/// What the watchdog saw at one moment.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    /// How long the poll of the future under test in progress has run.
    pub in_poll: Option<Duration>,
    /// A hand poll in progress on the watched thread.
    pub hand_poll: Option<(Duration, Arc<str>, Arc<str>)>,
    /// How long the heartbeat's outstanding ping has waited.
    pub stall: Option<Duration>,
    /// The longest stretch a runtime thread has gone without going idle, and whether that
    /// thread was mostly asleep in the kernel meanwhile (blocked) or runnable (computing).
    pub busy: Option<(Duration, Option<bool>)>,
    pub multi_thread: bool,
    /// Virtual time at the heartbeat's latest answer (paused clock only).
    pub virtual_now: Option<Duration>,
    /// The future under test has finished and the runtime is being dropped: no thread of it
    /// runs tasks any more, so none of the figures above mean anything.
    pub shutting_down: bool,
}

impl Snapshot {
    /// What is wrong, judged against `bound`; `allow_blocking` / `allow_busy` leave those
    /// kinds out. At the `last_look` (the limit), a stall in the making counts as one.
    ///
    /// Kinds still going on quote `bound`, the figure they crossed, not the moment a look
    /// happened to come (which a loaded machine delays): the verdict is the same on every run.
    pub fn stuck(
        &self,
        bound: Duration,
        allow_blocking: bool,
        allow_busy: bool,
        last_look: bool,
    ) -> Option<Stuck> {
        if self.shutting_down {
            // A runtime being dropped waits for its blocking pool: neither busy nor blocked
            // in the senses below (its threads have stopped running tasks). At the limit, say
            // what it waits for.
            return last_look.then_some(Stuck::ShutdownWait);
        }
        if !allow_blocking {
            if let Some((took, what, fix)) = &self.hand_poll
                && *took >= bound
            {
                return Some(Stuck::HandPoll {
                    took: bound,
                    what: Arc::clone(what),
                    fix: Arc::clone(fix),
                });
            }
            let stall = self.stall.unwrap_or_default();
            if let Some(in_poll) = self.in_poll
                && in_poll.max(stall) >= bound
                && in_poll + PING_EVERY * 5 >= stall
            {
                return Some(Stuck::BlockedPoll {
                    took: bound,
                    returned: false,
                });
            }
            if stall >= bound {
                return Some(Stuck::Stalled {
                    took: bound,
                    ongoing: true,
                });
            }
        }
        let (busy, asleep) = self.busy?;
        if busy < bound {
            return None;
        }
        // Busy means the tasks kept getting their turns: the heartbeat answered lately. A ping
        // outstanding for longer is a stall in the making (one poll that does not return):
        // judge it as a stall, once it reaches the bound (at the latest, at the limit).
        let stall = self.stall.unwrap_or_default();
        if stall >= ANSWERED_LATELY {
            return (!allow_blocking && last_look).then_some(Stuck::Stalled {
                took: ANSWERED_LATELY,
                ongoing: true,
            });
        }
        // A runtime thread asleep in the kernel most of the time is blocked (a worker inside one
        // task, or a current-thread runtime's tasks in pieces); one that keeps running is busy
        // (told by the thread's state, which a loaded machine does not blur). Where the state
        // can be read but the looks disagree, neither is certain: look again later.
        match asleep {
            Some(true) if self.multi_thread => {
                return (!allow_blocking).then_some(Stuck::BlockedWorker { took: bound });
            }
            Some(true) => {
                return (!allow_blocking).then_some(Stuck::BlockedInPieces { took: bound });
            }
            None if cfg!(target_os = "linux") => return None,
            Some(false) | None => {}
        }
        (!allow_busy).then_some(Stuck::Busy {
            took: bound,
            virtual_at: self.virtual_now,
        })
    }
}

#[derive(Default)]
struct Beat {
    sender: Option<mpsc::UnboundedSender<()>>,
    outstanding: Option<Instant>,
    last_answer: Option<Instant>,
    largest: Duration,
    virtual_now: Option<Duration>,
}

struct RuntimeThread {
    thread: ThreadId,
    cpu: Option<ThreadCpu>,
    busy_since: Option<Instant>,
    /// Its state, looked at on each snapshot since it last went busy.
    looks: StateLooks,
}

/// Shared state of one runtime's health (see the module documentation).
pub struct HealthInner {
    stopwatch: PollStopwatch,
    beat: Mutex<Beat>,
    threads: Mutex<Vec<RuntimeThread>>,
    multi_thread: bool,
    paused: bool,
    virtual_origin: Mutex<Option<tokio::time::Instant>>,
    /// The longest stretch without going idle that a snapshot saw.
    longest_busy: Mutex<Duration>,
    /// Set once the future under test is done and the runtime is being dropped.
    shutting_down: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The health of one runtime; cheap to clone.
#[derive(Clone)]
pub(crate) struct Health {
    inner: Arc<HealthInner>,
}

impl Health {
    pub fn new(multi_thread: bool, paused: bool) -> Self {
        Self {
            inner: Arc::new(HealthInner {
                stopwatch: PollStopwatch::default(),
                beat: Mutex::default(),
                threads: Mutex::default(),
                multi_thread,
                paused,
                virtual_origin: Mutex::default(),
                longest_busy: Mutex::default(),
                shutting_down: AtomicBool::new(false),
            }),
        }
    }

    pub fn inner(&self) -> &Arc<HealthInner> {
        &self.inner
    }

    /// The stopwatch timing the polls of the future under test.
    pub fn stopwatch(&self) -> &PollStopwatch {
        &self.inner.stopwatch
    }

    /// For `on_thread_park`: this thread is going idle.
    pub fn park_hook(&self) -> impl Fn() + Send + Sync + 'static {
        let inner = Arc::clone(&self.inner);
        move || inner.parked()
    }

    /// For `on_thread_unpark`: this thread starts running tasks.
    pub fn unpark_hook(&self) -> impl Fn() + Send + Sync + 'static {
        let inner = Arc::clone(&self.inner);
        move || inner.unparked()
    }

    /// The thread that drives a current-thread runtime starts busy, before its first park.
    pub fn entering_block_on(&self) {
        self.inner.unparked();
    }

    /// Marks every thread of this runtime seen so far as given up on (see
    /// [`crate::guard::abandon`]).
    pub fn abandon_threads(&self) {
        for thread in lock(&self.inner.threads).iter() {
            crate::guard::abandon(thread.thread);
        }
    }

    /// Starts the heartbeat task; call it inside the runtime.
    pub fn start_heartbeat(&self) {
        self.inner.start_heartbeat();
    }

    /// What the runtime looks like now (pings the heartbeat first if it is due).
    pub fn snapshot(&self) -> Snapshot {
        if self.inner.shutting_down.load(Ordering::SeqCst) {
            return Snapshot {
                multi_thread: self.inner.multi_thread,
                shutting_down: true,
                ..Snapshot::default()
            };
        }
        self.inner.tick();
        let busy = self.inner.busiest();
        if let Some((busy, _)) = busy {
            let mut longest = lock(&self.inner.longest_busy);
            *longest = (*longest).max(busy);
        }
        Snapshot {
            in_poll: self.inner.stopwatch.stats().in_poll_for(),
            hand_poll: None,
            stall: self.inner.stall_now(),
            busy,
            multi_thread: self.inner.multi_thread,
            virtual_now: if self.inner.paused {
                lock(&self.inner.beat).virtual_now
            } else {
                None
            },
            shutting_down: false,
        }
    }

    /// The future under test has finished: the runtime is about to be dropped (which waits for
    /// its blocking pool), and its threads stop running tasks.
    pub fn shutting_down(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
    }

    /// For `grading/stress.sh`: the figures of a run that passed, appended to the file named by
    /// `ASYNCLINGS_STRESS_LOG` (the longest poll, the largest stall, the longest busy stretch).
    pub fn log_figures(&self) {
        let Ok(path) = std::env::var("ASYNCLINGS_STRESS_LOG") else {
            return;
        };
        let figures = [
            ("run-longest-poll", self.inner.stopwatch.stats().longest),
            ("run-largest-stall", self.inner.largest_stall()),
            ("run-longest-busy", *lock(&self.inner.longest_busy)),
        ];
        let lines: String = figures
            .iter()
            .map(|(what, figure)| format!("{what} {:.3}\n", figure.as_secs_f64() * 1000.0))
            .collect();
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            use std::io::Write;
            let _ = file.write_all(lines.as_bytes());
        }
    }

    /// After the future completed: a poll or a stall beyond the bounds.
    pub fn completed_stuck(&self) -> Option<Stuck> {
        let stats = self.inner.stopwatch.stats();
        if stats.longest >= BLOCKING_POLL {
            return Some(Stuck::BlockedPoll {
                took: stats.longest,
                returned: true,
            });
        }
        let largest = lock(&self.inner.beat).largest;
        (largest >= RUNTIME_STALL).then_some(Stuck::Stalled {
            took: largest,
            ongoing: false,
        })
    }
}

impl HealthInner {
    fn start_heartbeat(self: &Arc<Self>) {
        let (sender, mut pings) = mpsc::unbounded_channel::<()>();
        *lock(&self.virtual_origin) = Some(tokio::time::Instant::now());
        lock(&self.beat).sender = Some(sender);
        let inner = Arc::downgrade(self);
        drop(tokio::spawn(async move {
            while pings.recv().await.is_some() {
                let Some(inner) = inner.upgrade() else { return };
                inner.answered();
            }
        }));
    }

    fn answered(&self) {
        let virtual_now = lock(&self.virtual_origin).map(|origin| origin.elapsed());
        let mut beat = lock(&self.beat);
        let now = Instant::now();
        if let Some(sent) = beat.outstanding.take() {
            beat.largest = beat.largest.max(now - sent);
        }
        beat.last_answer = Some(now);
        beat.virtual_now = virtual_now;
    }

    /// Sends a ping if none is outstanding and the last answer is `PING_EVERY` old.
    pub(crate) fn tick(&self) {
        if self.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        let mut beat = lock(&self.beat);
        if beat.outstanding.is_some()
            || beat
                .last_answer
                .is_some_and(|last| last.elapsed() < PING_EVERY)
        {
            return;
        }
        let Some(sender) = &beat.sender else { return };
        if sender.send(()).is_ok() {
            beat.outstanding = Some(Instant::now());
        } else {
            beat.sender = None;
        }
    }

    /// How long the outstanding ping has waited, if one is outstanding.
    pub(crate) fn stall_now(&self) -> Option<Duration> {
        if self.shutting_down.load(Ordering::SeqCst) {
            // The heartbeat task is gone with the runtime's tasks: nothing answers any more.
            return None;
        }
        lock(&self.beat).outstanding.map(|sent| sent.elapsed())
    }

    /// The largest stall seen (answered pings).
    pub(crate) fn largest_stall(&self) -> Duration {
        lock(&self.beat).largest
    }

    fn with_this_thread(&self, change: impl FnOnce(&mut RuntimeThread)) {
        let me = thread::current().id();
        let mut threads = lock(&self.threads);
        let index = match threads.iter().position(|t| t.thread == me) {
            Some(index) => index,
            None => {
                threads.push(RuntimeThread {
                    thread: me,
                    cpu: ThreadCpu::current(),
                    busy_since: None,
                    looks: StateLooks::default(),
                });
                threads.len() - 1
            }
        };
        change(&mut threads[index]);
    }

    fn parked(&self) {
        self.with_this_thread(|t| t.busy_since = None);
    }

    fn unparked(&self) {
        // Only threads that run tasks unpark (never the blocking pool's): a worker.
        crate::parallel::mark_worker_thread();
        self.with_this_thread(|t| {
            t.busy_since = Some(Instant::now());
            t.looks = StateLooks::default();
        });
    }

    /// Looks at the state of every busy runtime thread; returns the one that has gone longest
    /// without going idle, and whether it was mostly asleep meanwhile.
    fn busiest(&self) -> Option<(Duration, Option<bool>)> {
        let mut threads = lock(&self.threads);
        threads
            .iter_mut()
            .filter_map(|t| {
                let since = t.busy_since?;
                if let Some(cpu) = &t.cpu {
                    t.looks.look(cpu);
                }
                Some((since.elapsed(), t.looks.mostly_asleep()))
            })
            .max_by_key(|(busy, _)| *busy)
    }
}

/// Watches the runtime of a `#[tokio::test]` (or any runtime the helpers did not build) for
/// stalls: a heartbeat task answers pings from the process-wide guard thread, which ends the
/// check with the blocking verdict if the runtime stalls for [`crate::guard::HUNG`] (a poll that never
/// returns). Call it first thing in the test; [`RuntimeWatch::check`] (or dropping the watch
/// at the end of a test that did not fail) also fails the check if the runtime stalled for
/// [`RUNTIME_STALL`] or more at some point.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # use asynclings_grading::prelude::*;
/// let watch = watch_runtime();
/// tokio::time::sleep(std::time::Duration::from_millis(20)).await;
/// watch.check().unwrap();
/// # }
/// ```
pub fn watch_runtime() -> RuntimeWatch {
    let health = Health::new(false, false);
    health.start_heartbeat();
    crate::guard::watch_runtime_health(health.inner());
    RuntimeWatch {
        health,
        checked: false,
    }
}

/// Made by [`watch_runtime`].
pub struct RuntimeWatch {
    health: Health,
    checked: bool,
}

impl RuntimeWatch {
    /// `Err(verdict)` if the runtime stalled for [`RUNTIME_STALL`] or more so far.
    pub fn check(mut self) -> Result<(), String> {
        self.checked = true;
        self.verdict().map_or(Ok(()), Err)
    }

    fn verdict(&self) -> Option<String> {
        let largest = self
            .health
            .inner
            .largest_stall()
            .max(self.health.inner.stall_now().unwrap_or_default());
        (largest >= RUNTIME_STALL).then(|| {
            Stuck::Stalled {
                took: largest,
                ongoing: false,
            }
            .verdict(&Explanations::default())
        })
    }
}

impl Drop for RuntimeWatch {
    fn drop(&mut self) {
        if !self.checked
            && !thread::panicking()
            && let Some(verdict) = self.verdict()
        {
            panic!("{verdict}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::HUNG;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_poll_in_progress_is_blamed_before_the_stall_it_causes() {
        let snapshot = Snapshot {
            in_poll: Some(MS * 1005),
            stall: Some(MS * 1010),
            busy: Some((MS * 1010, None)),
            ..Snapshot::default()
        };
        assert_eq!(
            snapshot.stuck(HUNG, false, false, false),
            Some(Stuck::BlockedPoll {
                took: HUNG,
                returned: false
            })
        );
        assert_eq!(snapshot.stuck(HUNG, true, true, false), None);
    }

    #[test]
    fn a_stall_with_a_fresh_poll_is_another_tasks_doing() {
        let snapshot = Snapshot {
            in_poll: Some(MS * 3),
            stall: Some(MS * 1200),
            ..Snapshot::default()
        };
        assert!(matches!(
            snapshot.stuck(HUNG, false, false, false),
            Some(Stuck::Stalled { ongoing: true, .. })
        ));
    }

    #[test]
    fn a_runtime_that_answers_but_never_idles_is_busy() {
        let snapshot = Snapshot {
            stall: Some(MS * 2),
            busy: Some((MS * 1100, Some(false))),
            virtual_now: Some(Duration::from_secs(2)),
            ..Snapshot::default()
        };
        let stuck = snapshot.stuck(HUNG, false, false, false).unwrap();
        assert_eq!(
            stuck.verdict(&Explanations::default()),
            "busy loop: the runtime did not go idle for 1.00 s of real time and virtual time \
             stood still at 2.00 s: a task wakes itself, or yields (yield_now) in a loop, \
             instead of waiting for its event; keep the waker and let the event wake the task"
        );
        assert_eq!(snapshot.stuck(HUNG, false, true, false), None);
    }

    #[test]
    fn a_busy_stretch_without_answers_is_a_stall_in_the_making() {
        let snapshot = Snapshot {
            stall: Some(MS * 600),
            busy: Some((MS * 1100, None)),
            ..Snapshot::default()
        };
        // Not yet: it becomes a stall at the bound ...
        assert_eq!(snapshot.stuck(HUNG, false, false, false), None);
        // ... or at the limit.
        assert_eq!(
            snapshot.stuck(HUNG, false, false, true),
            Some(Stuck::Stalled {
                took: ANSWERED_LATELY,
                ongoing: true
            })
        );
    }

    #[test]
    fn an_idle_busy_worker_of_a_multi_thread_runtime_is_blocked() {
        let snapshot = Snapshot {
            busy: Some((MS * 1500, Some(true))),
            multi_thread: true,
            ..Snapshot::default()
        };
        assert_eq!(
            snapshot.stuck(HUNG, false, false, false),
            Some(Stuck::BlockedWorker { took: HUNG })
        );
    }

    /// Two looks at the same stuck poll, one delayed by load: the same verdict.
    #[test]
    fn ongoing_kinds_quote_the_bound_not_the_moment_of_the_look() {
        let look = |late: u32| Snapshot {
            in_poll: Some(MS * (1000 + late)),
            stall: Some(MS * (1001 + late)),
            ..Snapshot::default()
        };
        let verdicts: Vec<String> = [3, 170]
            .into_iter()
            .map(|late| {
                let stuck = look(late).stuck(HUNG, false, false, false).unwrap();
                stuck.verdict(&Explanations::default())
            })
            .collect();
        assert_eq!(verdicts[0], verdicts[1]);
        assert!(verdicts[0].starts_with("one poll had not returned after 1.00 s"));
    }

    /// A runtime being dropped is neither busy nor blocked; at the limit, it waits for its
    /// blocking pool, whatever the grader allowed.
    #[test]
    fn a_runtime_shutting_down_is_never_busy() {
        let snapshot = Snapshot {
            shutting_down: true,
            ..Snapshot::default()
        };
        assert_eq!(snapshot.stuck(HUNG, true, false, false), None);
        assert_eq!(snapshot.stuck(HUNG, false, false, false), None);
        assert_eq!(
            snapshot.stuck(HUNG, true, false, true),
            Some(Stuck::ShutdownWait)
        );
    }

    /// A current-thread runtime that never idles but whose thread sits asleep: its tasks block
    /// it in pieces (a blocking call per item), which is blocking, not a busy loop; allowed
    /// blocking leaves it to the grader. Looks that disagree decide nothing yet.
    #[test]
    fn a_current_thread_runtime_asleep_in_pieces_is_blocked_not_busy() {
        let snapshot = Snapshot {
            stall: Some(MS * 2),
            busy: Some((MS * 1100, Some(true))),
            ..Snapshot::default()
        };
        assert_eq!(
            snapshot.stuck(HUNG, false, false, false),
            Some(Stuck::BlockedInPieces { took: HUNG })
        );
        assert_eq!(snapshot.stuck(HUNG, true, false, false), None);
        if cfg!(target_os = "linux") {
            let unclear = Snapshot {
                busy: Some((MS * 1100, None)),
                ..snapshot
            };
            assert_eq!(unclear.stuck(HUNG, false, false, false), None);
        }
    }

    #[test]
    fn the_graders_explanation_wins() {
        let explanations = Explanations {
            blocked: Some("brew_flat_white blocked the runtime's thread".into()),
            ..Explanations::default()
        };
        let stuck = Stuck::BlockedPoll {
            took: MS * 1500,
            returned: true,
        };
        assert_eq!(
            stuck.verdict(&explanations),
            "brew_flat_white blocked the runtime's thread (one poll took 1.50 s: it blocked the \
             thread)"
        );
        assert!(
            stuck
                .verdict(&Explanations::default())
                .starts_with("one poll took 1.50 s: something inside async code blocked")
        );
    }
}
