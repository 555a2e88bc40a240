//! Running a check's async code on a fresh tokio runtime, guarded from the outside.
//!
//! [`Run`] builds a current-thread runtime (paused clock by default), runs the future on a
//! watched thread (a blocked runtime becomes a verdict, see [`crate::watchdog`]), turns tokio's
//! own panics into verdicts, fails the check when a spawned task panicked unnoticed
//! ([`crate::panics::TaskPanics`]), and can answer "would this ever finish?" at once in virtual
//! time ([`Run::would_hang_after`], [`settle`]).
//!
//! ## The would-hang oracle
//!
//! On a paused clock, tokio jumps virtual time to the next timer whenever every task waits.
//! Race the learner's future against a timer far away (the horizon): if the horizon fires
//! first, nothing that this runtime drives (its tasks, its timers) was going to complete the
//! future before then: it would wait forever. That takes microseconds of real time.
//!
//! It cannot decide when the wake-up comes from outside the runtime's timers and tasks:
//! - another OS thread (`std::thread::spawn`, a rayon pool, a callback thread): virtual time
//!   jumps ahead while that thread works, and the horizon fires too early;
//! - real I/O (sockets, files, processes): readiness comes from the OS, in real time;
//! - `spawn_blocking`: tokio holds the paused clock while a blocking task runs, so the oracle
//!   waits for it in real time, which is correct but no longer instant.
//!
//! Use a real clock and a generous watchdog limit for those.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::time::Instant;

use crate::blocking::PollStopwatch;
use crate::health::{Explanations, Health};
use crate::panics::{TaskPanics, explain_tokio_panic, panic_message};
use crate::parallel::mark_runtime_thread;
use crate::pending::{PendingSources, StillPending};
use crate::units::{format_duration as seconds, polled_times};
use crate::watchdog::{DEADLOCK, Watchdog};

type Explain = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The future under test, built on the runtime's thread from the stopwatch that times its
/// polls, with its output type erased ([`Run::execute`]).
type ErasedMake =
    Box<dyn FnOnce(&PollStopwatch) -> Pin<Box<dyn Future<Output = Box<dyn Any + Send>>>> + Send>;

enum Failure {
    Verdict(String),
    Panic(Box<dyn std::any::Any + Send>),
}

/// How a future ended under [`settle`].
#[derive(Debug, PartialEq, Eq)]
pub enum Settled<T> {
    /// It completed, after `polls` polls and `took` of (virtual) time.
    Ready {
        output: T,
        polls: usize,
        took: Duration,
    },
    /// It was polled `polls` times at one instant of virtual time, never ready: it wakes
    /// itself on every poll, and time cannot move on.
    BusyLoop { polls: usize, took: Duration },
    /// Still pending at the horizon.
    WouldHang {
        polls: usize,
        /// Virtual time of its last poll, from the start.
        last_poll_at: Duration,
        horizon: Duration,
    },
}

impl<T> Settled<T> {
    /// The output, or `Err(verdict)` naming why there is none; `fix` is the way out.
    pub fn ready(self, fix: &str) -> Result<T, String> {
        match self {
            Settled::Ready { output, .. } => Ok(output),
            stuck => Err(stuck.verdict(fix)),
        }
    }

    /// Why it did not complete (empty for `Ready`).
    pub fn verdict(&self, fix: &str) -> String {
        self.verdict_naming(fix, &[])
    }

    /// Like [`Settled::verdict`], also naming what was still pending (probes, timeline lanes).
    pub fn verdict_naming(&self, fix: &str, pending: &[String]) -> String {
        let waiting = crate::pending::waiting_on(pending);
        match *self {
            Settled::Ready { .. } => String::new(),
            Settled::BusyLoop { polls, took } => format!(
                "busy loop: polled {polls} times at {} of virtual time without finishing, waking \
                 itself on every poll, so time could not move on{waiting}; {fix}",
                seconds(took)
            ),
            Settled::WouldHang {
                polls,
                last_poll_at,
                horizon,
            } => {
                let polled = polled_times(polls);
                if horizon.saturating_sub(last_poll_at) >= horizon / 2 {
                    format!(
                        "would wait forever: nothing can wake it ({polled}; after its last poll, \
                         at {} of virtual time, nothing woke it in the {} since{waiting}); {fix}",
                        seconds(last_poll_at),
                        seconds(horizon.saturating_sub(last_poll_at))
                    )
                } else {
                    format!(
                        "would wait forever: still not finished after {} of virtual time, though \
                         it was {polled} (the last at {}): it keeps waiting for something that \
                         never happens{waiting}; {fix}",
                        seconds(horizon),
                        seconds(last_poll_at)
                    )
                }
            }
        }
    }
}

/// Awaits `future` on the current (paused-clock) runtime until it completes, wakes itself
/// `poll_cap` times in a row at one instant, or is still pending `horizon` of virtual time
/// later. See the module documentation for when this can decide.
pub async fn settle<F: Future>(
    future: F,
    horizon: Duration,
    poll_cap: usize,
) -> Settled<F::Output> {
    settle_naming(future, horizon, poll_cap, &Vec::new).await.0
}

/// [`settle`], also describing (with `pending`) what was still pending when it gave up, while
/// the future is still alive.
async fn settle_naming<F: Future>(
    future: F,
    horizon: Duration,
    poll_cap: usize,
    pending: &dyn Fn() -> Vec<String>,
) -> (Settled<F::Output>, Vec<String>) {
    let started = Instant::now();
    let mut future = pin!(future);
    let flag = Arc::new(WakeFlag {
        woken: AtomicBool::new(true),
        outer: Mutex::new(None),
    });
    let inner_waker = Waker::from(Arc::clone(&flag));
    let mut polls = 0;
    let mut polls_at_this_instant = 0;
    let mut last_poll = started;
    let counted = std::future::poll_fn(|cx| {
        *flag.outer.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        // Poll the future only when its own waker was woken: the polls counted (and the
        // instant of the last one) are the future's, not those of the horizon's timer.
        if !flag.woken.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let now = Instant::now();
        if now == last_poll && polls > 0 {
            polls_at_this_instant += 1;
        } else {
            polls_at_this_instant = 1;
        }
        last_poll = now;
        polls += 1;
        match future.as_mut().poll(&mut Context::from_waker(&inner_waker)) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending if polls_at_this_instant >= poll_cap => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    });
    let horizon_timer = tokio::time::sleep(horizon);
    let outcome = tokio::select! {
        biased;
        outcome = counted => Some(outcome),
        () = horizon_timer => None,
    };
    let took = started.elapsed();
    match outcome {
        Some(Some(output)) => (
            Settled::Ready {
                output,
                polls,
                took,
            },
            Vec::new(),
        ),
        Some(None) => (Settled::BusyLoop { polls, took }, pending()),
        None => (
            Settled::WouldHang {
                polls,
                last_poll_at: last_poll - started,
                horizon,
            },
            pending(),
        ),
    }
}

/// On a multi-thread runtime, waits (at most a second) until every worker has gone idle once:
/// from then on, the park hooks know each worker's busy stretches (a worker that picked up a
/// task before its first park would not be watched).
async fn all_workers_parked_once() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let until = std::time::Instant::now() + Duration::from_secs(1);
    while (0..metrics.num_workers()).any(|w| metrics.worker_park_unpark_count(w) == 0)
        && std::time::Instant::now() < until
    {
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The waker [`settle`] gives the future: notes the wake-up, then wakes the task.
struct WakeFlag {
    woken: AtomicBool,
    outer: Mutex<Option<Waker>>,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let Some(outer) = self
            .outer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            outer.wake_by_ref();
        }
    }
}

/// A fresh runtime for one check, run on a watched thread. Start from [`paused_clock`] or
/// [`real_clock`].
///
/// By default it fails the check, with a verdict that names the mistake, when
/// - a poll of the future under test takes [`crate::blocking::BLOCKING_POLL`] or more, or any
///   task holds the runtime so that no other task can run for
///   [`crate::blocking::RUNTIME_STALL`] or more (blocking, wherever it happens);
/// - the runtime never goes idle for [`crate::health::RUNTIME_BUSY`] (a busy loop);
/// - nothing finishes within the limit (a deadlock, a task never woken), naming what was still
///   pending ([`crate::watchdog::Probes`], [`crate::timeline::Timeline`] lanes);
/// - a spawned task panicked and nobody noticed.
///
/// A poll that never returns is reported after [`crate::guard::HUNG`], not at the limit. See
/// [`crate::health`] for how the runtime is watched without moving virtual time.
///
/// ```
/// # use std::time::Duration;
/// # use asynclings_grading::runtime::paused_clock;
/// let (answer, took) = paused_clock().run_timed(|| async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     42
/// });
/// assert_eq!((answer, took), (42, Duration::from_secs(5))); // in microseconds of real time
/// ```
#[must_use]
pub struct Run {
    paused: bool,
    workers: Option<usize>,
    limit: Duration,
    explanations: Explanations,
    /// [`Run::on_block`]'s explanation, for the kinds without one of their own.
    fallback: Option<String>,
    sources: PendingSources,
    explain: Option<Explain>,
    hang: Option<(Duration, String)>,
    poll_cap: usize,
    task_panics: bool,
    allow_blocking: Option<String>,
    allow_busy: Option<String>,
}

/// A current-thread runtime whose clock starts paused: virtual time jumps ahead whenever every
/// task waits on a timer, so waits cost no real time and durations are exact.
pub fn paused_clock() -> Run {
    Run {
        paused: true,
        ..real_clock()
    }
}

/// A current-thread runtime on the real clock (for code that waits on other threads or I/O).
pub fn real_clock() -> Run {
    Run {
        paused: false,
        workers: None,
        limit: Duration::from_secs(3),
        explanations: Explanations::default(),
        fallback: None,
        sources: PendingSources::default(),
        explain: None,
        hang: None,
        poll_cap: 1_000,
        task_panics: true,
        allow_blocking: None,
        allow_busy: None,
    }
}

impl Run {
    /// The real-time limit of the watchdog (default 3 s).
    pub fn limit(mut self, limit: Duration) -> Self {
        self.limit = limit;
        self
    }

    /// One explanation for every way the check can get stuck (blocked, busy, never woken);
    /// [`Run::on_blocked`], [`Run::on_busy`] and [`Run::on_never_woken`] word each kind on its
    /// own, and take precedence. Verdicts add the measured facts in parentheses.
    pub fn on_block(mut self, explanation: &str) -> Self {
        self.fallback = Some(explanation.to_owned());
        self
    }

    /// The explanation when a poll blocked the thread (it took too long, or never returned)
    /// or the runtime stalled: "brew_flat_white blocked the runtime's thread: wait with .await,
    /// never thread::sleep or block_on inside async code". The verdict adds "(one poll took
    /// 1.50 s: it blocked the thread)".
    pub fn on_blocked(mut self, explanation: &str) -> Self {
        self.explanations.blocked = Some(explanation.to_owned());
        self
    }

    /// The explanation when the runtime never went idle (a task that wakes itself or spins
    /// with `yield_now`; on a paused clock, virtual time cannot move on).
    pub fn on_busy(mut self, explanation: &str) -> Self {
        self.explanations.busy = Some(explanation.to_owned());
        self
    }

    /// The explanation when the check sat idle until the limit: nothing woke the task (a lost
    /// wake-up, a deadlock). Default: [`DEADLOCK`].
    pub fn on_never_woken(mut self, explanation: &str) -> Self {
        self.explanations.never_woken = Some(explanation.to_owned());
        self
    }

    /// Don't fail the check for blocking polls or a stalled runtime: the grader measures
    /// blocking itself, or the check blocks on purpose. `reason` says why (it is required, so
    /// that the opt-out is a decision).
    pub fn allow_blocking(mut self, reason: &str) -> Self {
        assert!(
            !reason.trim().is_empty(),
            "allow_blocking needs the reason the check may block"
        );
        self.allow_blocking = Some(reason.to_owned());
        self
    }

    /// Don't fail the check because the runtime never went idle (long legitimate CPU work in
    /// many short polls); `reason` says why.
    pub fn allow_busy(mut self, reason: &str) -> Self {
        assert!(
            !reason.trim().is_empty(),
            "allow_busy needs the reason the runtime may stay busy"
        );
        self.allow_busy = Some(reason.to_owned());
        self
    }

    /// Also name what `pending` still waits for ([`crate::watchdog::Probes`] or a
    /// [`crate::timeline::Timeline`] made outside the run) in would-hang and watchdog
    /// verdicts. Those made inside the run are named without this.
    pub fn naming<P: StillPending + Clone + 'static>(self, pending: &P) -> Self {
        self.sources.add(Box::new(pending.clone()));
        self
    }

    /// Turns a panic message into a verdict (tried before the generic tokio explanations).
    pub fn explain_panics(
        mut self,
        explain: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.explain = Some(Arc::new(explain));
        self
    }

    /// Paused clock only: fail with "would wait forever: nothing can wake it; `fix`" as soon as
    /// the future is still pending `horizon` of virtual time after it started, and with "busy
    /// loop" if it wakes itself again and again at one instant.
    pub fn would_hang_after(mut self, horizon: Duration, fix: &str) -> Self {
        assert!(self.paused, "the would-hang oracle needs a paused clock");
        self.hang = Some((horizon, fix.to_owned()));
        self
    }

    /// How many polls at one instant of virtual time count as a busy loop (default 1000: a
    /// future that waits properly is polled a few times per instant, and a thousand polls take
    /// well under the second after which the runtime's watchdog would call it busy itself).
    pub fn busy_loop_after(mut self, polls: usize) -> Self {
        self.poll_cap = polls;
        self
    }

    /// A multi-thread runtime with `workers` worker threads instead of a current-thread one
    /// (real clock only: tokio pauses time on current-thread runtimes only). [`Run::run`]
    /// still polls the future under test on the thread calling `block_on`, not on a worker;
    /// [`Run::run_spawned`] runs it on a worker.
    pub fn multi_thread(mut self, workers: usize) -> Self {
        assert!(
            !self.paused,
            "a paused clock needs a current-thread runtime: use real_clock().multi_thread(n)"
        );
        self.workers = Some(workers);
        self
    }

    /// Don't fail the check because a spawned task panicked (a grader that checks panics).
    pub fn allow_task_panics(mut self) -> Self {
        self.task_panics = false;
        self
    }

    /// Runs the future `make` returns and hands back its output.
    pub fn run<M, F>(self, make: M) -> F::Output
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.run_timed(make).0
    }

    /// Runs the future `make` returns and hands back its output and the runtime-clock time it
    /// took (virtual time on a paused clock).
    ///
    /// The future is polled by `block_on`, on the thread that drives the runtime: on a
    /// [`Run::multi_thread`] runtime that is *not* one of its workers. A check about what runs
    /// on a worker (rayon on a worker, `block_in_place`) uses [`Run::run_spawned`].
    pub fn run_timed<M, F>(self, make: M) -> (F::Output, Duration)
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.execute(move |stopwatch: &PollStopwatch| stopwatch.watch(make()))
    }

    /// Like [`Run::run`], but the future runs as a spawned task (`tokio::spawn`), as a
    /// server's request handler does: on a [`Run::multi_thread`] runtime, on one of its worker
    /// threads. Each poll of the task is timed as with [`Run::run`]; a panic inside it fails
    /// the check as if it had happened in [`Run::run`] (explained the same way). With
    /// [`Run::would_hang_after`], the oracle watches the task's join handle: a task that wakes
    /// itself forever is left to the busy check, not counted as polls of the handle.
    ///
    /// ```
    /// # use asynclings_grading::prelude::*;
    /// let placement = real_clock().multi_thread(2).run_spawned(|| async {
    ///     let placement = Placement::new();
    ///     placement.record(|| 6 * 7); // on a worker: the runtime's thread
    ///     placement
    /// });
    /// assert!(placement.check_off_runtime("hand it to rayon").is_err());
    /// ```
    pub fn run_spawned<M, F>(self, make: M) -> F::Output
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.execute(move |stopwatch: &PollStopwatch| {
            let task = tokio::spawn(stopwatch.watch(make()));
            async move {
                match task.await {
                    Ok(output) => output,
                    Err(failed) if failed.is_panic() => {
                        std::panic::resume_unwind(failed.into_panic())
                    }
                    Err(failed) => panic!("the task under test was cancelled: {failed}"),
                }
            }
        })
        .0
    }

    /// Builds the runtime, runs the future `make` builds (given the stopwatch that times the
    /// polls of the future under test) under the watchdog, and applies the checks.
    ///
    /// Only this shell is generic: the future is boxed and its output type erased, and the
    /// work is [`Run::execute_erased`], compiled once into this crate. Generic all the way
    /// down, every `run` in a grader instantiated the runtime, the watchdog and tokio's
    /// `block_on` for its own future type again: about a fifth of a test binary's code, which
    /// every grade of every fixture compiled. (The usual technique for generic functions with
    /// a large body, as `std::fs::read` does with its inner function.)
    fn execute<M, G>(self, make: M) -> (G::Output, Duration)
    where
        M: FnOnce(&PollStopwatch) -> G + Send + 'static,
        G: Future + 'static,
        G::Output: Send + 'static,
    {
        let make: ErasedMake = Box::new(move |stopwatch: &PollStopwatch| {
            let future = make(stopwatch);
            Box::pin(async move { Box::new(future.await) as Box<dyn Any + Send> })
        });
        let (output, took) = self.execute_erased(make);
        let output = output
            .downcast::<G::Output>()
            .unwrap_or_else(|_| unreachable!("the output has the type the future gave it"));
        (*output, took)
    }

    fn execute_erased(self, make: ErasedMake) -> (Box<dyn Any + Send>, Duration) {
        let Run {
            paused,
            workers,
            limit,
            mut explanations,
            fallback,
            sources,
            explain,
            hang,
            poll_cap,
            task_panics,
            allow_blocking,
            allow_busy,
        } = self;
        for own in [
            &mut explanations.blocked,
            &mut explanations.busy,
            &mut explanations.never_woken,
        ] {
            if own.is_none() {
                own.clone_from(&fallback);
            }
        }
        let panics = TaskPanics::new();
        let health = Health::new(workers.is_some(), paused);
        let watchdog = Watchdog::new(limit, DEADLOCK)
            .explanations(explanations.clone())
            .health(&health, allow_blocking.is_some(), allow_busy.is_some())
            .sources(&sources);
        let in_thread_panics = panics.clone();
        let in_thread_health = health.clone();
        let in_thread_sources = sources.clone();
        let result = watchdog.run(move || {
            let mut builder = match workers {
                None => tokio::runtime::Builder::new_current_thread(),
                Some(workers) => {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(workers);
                    builder
                }
            };
            // Threads the runtime starts (workers, the blocking pool) are watched for task
            // panics and register what they make with this run; the thread that drives
            // `block_on` is watched below.
            let panic_hook = in_thread_panics.thread_start_hook();
            let sources_hook = in_thread_sources.thread_start_hook();
            let runtime = builder
                .on_thread_start(move || {
                    panic_hook();
                    sources_hook();
                })
                .on_thread_park(in_thread_health.park_hook())
                .on_thread_unpark(in_thread_health.unpark_hook())
                .enable_all()
                .start_paused(paused)
                .build()
                .expect("the grader could not build a tokio runtime");
            let _watching = in_thread_panics.watch_this_thread();
            let _runtime_thread = mark_runtime_thread();
            let _registering = in_thread_sources.enter();
            if workers.is_none() {
                in_thread_health.entering_block_on();
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(async {
                    in_thread_health.start_heartbeat();
                    if workers.is_some() {
                        all_workers_parked_once().await;
                    }
                    let started = Instant::now();
                    let watched = make(in_thread_health.stopwatch());
                    match hang {
                        None => Ok((watched.await, started.elapsed())),
                        Some((horizon, fix)) => {
                            let describe = || in_thread_sources.describe(false);
                            match settle_naming(watched, horizon, poll_cap, &describe).await {
                                (Settled::Ready { output, took, .. }, _) => Ok((output, took)),
                                (stuck, pending) => Err(stuck.verdict_naming(&fix, &pending)),
                            }
                        }
                    }
                })
            }));
            // Dropping the runtime waits for its blocking pool: from here on, a hang is a
            // blocking task that never ends, not a busy or blocked runtime.
            in_thread_health.shutting_down();
            drop(runtime);
            outcome.map_err(|payload| {
                let message = panic_message(&*payload);
                let verdict = explain
                    .as_ref()
                    .and_then(|explain| explain(message))
                    .or_else(|| explain_tokio_panic(message).map(str::to_owned));
                match verdict {
                    Some(verdict) => Failure::Verdict(verdict),
                    None => Failure::Panic(payload),
                }
            })
        });
        crate::panics::flush_repeats();
        let output = match result {
            Ok(Ok(output)) => output,
            // A fresh panic on this thread, so that the verdict is the last panic message.
            Ok(Err(stuck)) | Err(Failure::Verdict(stuck)) => panic!("{stuck}"),
            Err(Failure::Panic(payload)) => std::panic::resume_unwind(payload),
        };
        if allow_blocking.is_none()
            && let Some(stuck) = health.completed_stuck()
        {
            panic!("{}", stuck.verdict(&explanations));
        }
        if task_panics {
            panics.assert_none();
        }
        if allow_blocking.is_none() && allow_busy.is_none() {
            health.log_figures();
        }
        output
    }
}
