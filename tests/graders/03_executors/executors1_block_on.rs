//! Grades `block_on` with futures the grader controls: ready at once, yielding (waking
//! themselves during a poll), woken from a grader thread once `block_on` sleeps, or woken from
//! another thread while their poll is still running. No verdict rests on how long something
//! took. The facts that decide are counted (polls, and the wake-ups given before each poll) or
//! read from the kernel through /proc: whether `block_on`'s thread sleeps, how many times it
//! has gone to sleep (its voluntary context switches), and whether that sleep has a timeout.
//!
//! - A wake-up from another thread must unpark the thread. The grader wakes only once the
//!   thread sleeps, and looks again as soon as `wake()` has returned: by then a waker that
//!   unparks has made the thread runnable (the kernel does so inside the unpark), while one
//!   that does not leaves it in the very same sleep (asleep, no new sleep counted, no poll).
//!   Where that sleep has a timeout, the timer could end it just then and pass for an unpark,
//!   so the grader wakes as soon as that sleep begins, and asks for ten unparks in a row.
//! - A wake-up during a poll must not be lost: `block_on` must poll again without going to
//!   sleep in between. A poll that comes after such a sleep (when a timeout ended it) is no
//!   wake-up's doing: the grader then tells a lost wake-up from a waker that unparks nothing.
//! - A poll with no wake-up since the previous one is unwoken: one is a spurious wake-up, two
//!   are polling without being woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::{ThreadCpu, seconds};
use asynclings_grading::prelude::*;

use crate::exercise::block_on;

/// Real-time bound on one step that needs microseconds: a poll after an unpark, a `wake()`
/// call, `block_on` returning a ready output.
const LIMIT: Duration = Duration::from_secs(1);
/// How long `block_on`'s thread must stay in one sleep, with no poll, to count as parked. A
/// correct `block_on` parks as soon as its poll returns `Pending`.
const PARKED_QUIET: Duration = Duration::from_millis(20);
/// How long the grader watches a future that nobody wakes.
const UNWOKEN_WINDOW: Duration = Duration::from_secs(1);
/// Unwoken polls a correct `block_on` may make: a spurious wake-up.
const SPURIOUS: usize = 1;
/// Unwoken polls after which watching longer tells nothing new.
const SPIN_POLLS: usize = 50;
/// Unparks in a row asked of a waker whose thread sleeps with a timeout.
const TIMED_PROBES: usize = 10;

const OUTPUT: &str = "firmware 4.2 flashed";

/// One look at a thread: asleep in the kernel or not, and how many times it has gone to
/// sleep so far.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    asleep: bool,
    sleeps: u64,
}

/// The state first, then the count: a thread seen asleep with the count unchanged since an
/// earlier look has not woken up in between. Where /proc is missing, `None`, and only poll
/// counts decide.
fn look(thread: &ThreadCpu) -> Option<Look> {
    Some(Look {
        asleep: thread.is_sleeping()?,
        sleeps: thread.voluntary_sleeps()?,
    })
}

/// A grader thread that wakes a waker, as an I/O thread would, then parks until released. If
/// that wake-up unparked the waking thread itself, the waker unparks whoever calls it
/// (`thread::current()` inside `wake`) instead of the thread in `block_on`.
struct WakingThread {
    woke: Arc<AtomicBool>,
    parking: Arc<AtomicBool>,
    unparked: Arc<AtomicBool>,
    released: Arc<AtomicBool>,
    seen: Arc<OnceLock<Option<ThreadCpu>>>,
    handle: JoinHandle<()>,
}

impl WakingThread {
    fn start(waker: Waker) -> Self {
        let flag = || Arc::new(AtomicBool::new(false));
        let (woke, parking, unparked, released) = (flag(), flag(), flag(), flag());
        let seen = Arc::new(OnceLock::new());
        let handle = {
            let (woke, parking, unparked) = (woke.clone(), parking.clone(), unparked.clone());
            let (released, seen) = (released.clone(), seen.clone());
            thread::spawn(move || {
                seen.get_or_init(ThreadCpu::current);
                waker.wake();
                woke.store(true, SeqCst);
                // A fresh thread has no unpark token, and std's `park` does not return
                // spuriously where the OS parks on a futex: only an `unpark` ends it at once.
                parking.store(true, SeqCst);
                thread::park();
                unparked.store(!released.load(SeqCst), SeqCst);
            })
        };
        WakingThread {
            woke,
            parking,
            unparked,
            released,
            seen,
            handle,
        }
    }

    fn has_woken(&self) -> bool {
        self.woke.load(SeqCst)
    }

    /// Whether the wake-up unparked this thread: its `park` either returned before the grader
    /// let it go, or it sleeps there (seen from outside). Waits until one of the two is seen.
    fn unparked_itself(&self) -> bool {
        let seen = self.seen.get().copied().flatten();
        wait_until(LIMIT, || {
            self.unparked.load(SeqCst)
                || (self.parking.load(SeqCst) && seen.and_then(|s| s.is_sleeping()) != Some(false))
        });
        self.unparked.load(SeqCst)
    }

    fn release(&self) {
        self.released.store(true, SeqCst);
        self.handle.thread().unpark();
    }
}

/// The stretch of time in which `block_on` polled without being woken.
#[derive(Clone, Copy)]
struct UnwokenSpan {
    since: Instant,
    latest: Instant,
    /// How many times `block_on`'s thread had gone to sleep at either end, where known.
    sleeps_since: Option<u64>,
    sleeps_latest: Option<u64>,
}

/// What happened to one grader future, seen from the grader.
#[derive(Default)]
struct Record {
    polls: AtomicUsize,
    in_poll: AtomicBool,
    finished: AtomicBool,
    polls_after_finish: AtomicUsize,
    /// Wake-ups the grader gave, during polls or from its threads.
    wakes: AtomicUsize,
    /// `wakes` when the latest poll began.
    wakes_at_last_poll: AtomicUsize,
    /// Polls that began with no wake-up given since the previous poll began.
    unwoken_polls: AtomicUsize,
    /// From the end of the poll before the first unwoken one to the latest unwoken one.
    unwoken_span: Mutex<Option<UnwokenSpan>>,
    /// The latest poll was woken before it returned.
    woken_in_last_poll: AtomicBool,
    /// How many times `block_on`'s thread had gone to sleep when the latest poll returned
    /// (`u64::MAX` where unknown), and when that was.
    sleeps_at_poll_end: AtomicU64,
    last_poll_end: Mutex<Option<Instant>>,
    /// Polls that came after `block_on` had slept although the previous poll had been woken:
    /// how long after that poll the first of them came.
    late_poll: Mutex<Option<Duration>>,
    /// The future may be ready at its next poll (plan `Driven`).
    release: AtomicBool,
    waker: Mutex<Option<Waker>>,
    thread: OnceLock<Option<ThreadCpu>>,
    waking: Mutex<Vec<WakingThread>>,
}

impl Record {
    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }

    fn unwoken(&self) -> usize {
        self.unwoken_polls.load(SeqCst)
    }

    fn seen_thread(&self) -> Option<ThreadCpu> {
        self.thread.get().copied().flatten()
    }

    fn sleeps_at_poll_end(&self) -> Option<u64> {
        Some(self.sleeps_at_poll_end.load(SeqCst)).filter(|s| *s != u64::MAX)
    }

    /// Whether poll number `n` has returned.
    fn poll_ended(&self, n: usize) -> bool {
        // `in_poll` first: a poll that begins between the two loads shows in the count.
        let in_poll = self.in_poll.load(SeqCst);
        let polls = self.polls();
        polls > n || (polls == n && !in_poll)
    }

    /// Bookkeeping at the start of poll number `poll`, on `block_on`'s thread; `sleeps` is
    /// the thread's sleep count read before anything else.
    fn poll_began(&self, poll: usize, sleeps: Option<u64>) {
        let wakes = self.wakes();
        let wakes_before = self.wakes_at_last_poll.swap(wakes, SeqCst);
        let ended = *self.last_poll_end.lock().unwrap();
        if poll > 1 && wakes == wakes_before {
            let now = Instant::now();
            self.unwoken_polls.fetch_add(1, SeqCst);
            let mut span = self.unwoken_span.lock().unwrap();
            let first = span.unwrap_or(UnwokenSpan {
                since: ended.unwrap_or(now),
                latest: now,
                sleeps_since: self.sleeps_at_poll_end(),
                sleeps_latest: sleeps,
            });
            *span = Some(UnwokenSpan {
                latest: now,
                sleeps_latest: sleeps,
                ..first
            });
        }
        let late = poll > 1
            && self.woken_in_last_poll.load(SeqCst)
            && sleeps
                .zip(self.sleeps_at_poll_end())
                .is_some_and(|(now, at_end)| now > at_end);
        if late {
            let mut late_poll = self.late_poll.lock().unwrap();
            if late_poll.is_none() {
                *late_poll = Some(ended.map_or(Duration::ZERO, |ended| ended.elapsed()));
            }
        }
    }

    /// Bookkeeping at the end of a poll, on `block_on`'s thread, last thing before it returns.
    fn poll_ends(&self, ready: bool, wakes_at_start: usize, thread: Option<ThreadCpu>) {
        self.finished.store(ready, SeqCst);
        self.woken_in_last_poll
            .store(self.wakes() > wakes_at_start, SeqCst);
        *self.last_poll_end.lock().unwrap() = Some(Instant::now());
        let sleeps = thread
            .and_then(|t| t.voluntary_sleeps())
            .unwrap_or(u64::MAX);
        self.sleeps_at_poll_end.store(sleeps, SeqCst);
        self.in_poll.store(false, SeqCst);
    }

    /// Wakes the waker of the latest poll from a new grader thread.
    fn wake_from_thread(&self) -> Option<usize> {
        let waker = self.waker.lock().unwrap().clone()?;
        self.wakes.fetch_add(1, SeqCst);
        let mut waking = self.waking.lock().unwrap();
        waking.push(WakingThread::start(waker));
        Some(waking.len() - 1)
    }

    fn waking_thread_has_woken(&self, index: usize) -> bool {
        self.waking.lock().unwrap()[index].has_woken()
    }

    fn finish(&self) {
        for waking in self.waking.lock().unwrap().iter() {
            waking.release();
        }
    }
}

/// How a grader future waits.
#[derive(Clone, Copy)]
enum Plan {
    /// Wakes itself during each of its first `n` polls (as a future that yields does), then
    /// is ready.
    Yields(usize),
    /// Pending until the grader releases it; the grader wakes it from its own threads.
    Driven,
    /// At its first poll, a grader thread wakes it before that poll returns; ready at the next.
    WokenDuringPoll,
}

/// The USB transfer the flasher waits for: a future the grader scripts. Once a poll has come
/// late (after `block_on` slept although the future had been woken), it stays `Pending` and
/// the plan stops: the grader takes over from there.
struct Transfer {
    record: Arc<Record>,
    plan: Plan,
    yields: usize,
    output: Option<String>,
}

impl Future for Transfer {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = self.get_mut();
        let record = Arc::clone(&this.record);
        // Before anything that could sleep: how many times has this thread slept so far?
        let thread = *record.thread.get_or_init(ThreadCpu::current);
        let sleeps = thread.and_then(|t| t.voluntary_sleeps());
        if record.finished.load(SeqCst) {
            record.polls_after_finish.fetch_add(1, SeqCst);
            return Poll::Pending;
        }
        record.in_poll.store(true, SeqCst);
        let poll = record.polls.fetch_add(1, SeqCst) + 1;
        let wakes_at_start = record.wakes();
        record.poll_began(poll, sleeps);
        *record.waker.lock().unwrap() = Some(cx.waker().clone());
        let ready = record.late_poll.lock().unwrap().is_none()
            && match this.plan {
                Plan::Yields(n) => {
                    if this.yields < n {
                        this.yields += 1;
                        record.wakes.fetch_add(1, SeqCst);
                        cx.waker().wake_by_ref();
                    }
                    this.yields == n && poll > n
                }
                Plan::Driven => record.release.load(SeqCst),
                Plan::WokenDuringPoll => {
                    if poll == 1 {
                        record.wakes.fetch_add(1, SeqCst);
                        let waking = WakingThread::start(cx.waker().clone());
                        // This poll returns only once the other thread's wake() has returned.
                        wait_until(LIMIT, || waking.has_woken());
                        record.waking.lock().unwrap().push(waking);
                    }
                    poll > 1
                }
            };
        record.poll_ends(ready, wakes_at_start, thread);
        if ready {
            Poll::Ready(this.output.take().unwrap_or_default())
        } else {
            Poll::Pending
        }
    }
}

/// What a wake-up given while `block_on`'s thread slept did to it.
enum Woke {
    /// The thread was no longer in that sleep once `wake()` had returned; the poll count
    /// before the wake-up.
    Unparked(usize),
    /// It still was: the verdict.
    SameSleep(String),
    /// It was not asleep when the grader was about to wake it.
    Unclear(usize),
}

/// `block_on(transfer)` running on a thread of its own, and what the grader saw of it.
struct Run {
    record: Arc<Record>,
    output: Receiver<String>,
    worker: Option<JoinHandle<()>>,
    started: Instant,
    /// The check is about wake-ups: where `block_on` polls unwoken, a waker that does not
    /// unpark is the mistake to name first (a timer of its own is then what polls).
    waker_first: bool,
}

impl Run {
    fn start(plan: Plan) -> Self {
        let record = Arc::new(Record::default());
        let transfer = Transfer {
            record: Arc::clone(&record),
            plan,
            yields: 0,
            output: Some(OUTPUT.to_owned()),
        };
        let (done, output) = mpsc::channel();
        let worker = thread::Builder::new()
            .name("block_on".into())
            .spawn(move || {
                let _ = done.send(block_on(transfer));
            })
            .expect("the grader could not start a thread");
        Run {
            record,
            output,
            worker: Some(worker),
            started: Instant::now(),
            waker_first: true,
        }
    }

    /// For the check of unwoken polls: those are the mistake it names first.
    fn unwoken_polls_first(mut self) -> Self {
        self.waker_first = false;
        self
    }

    fn thread(&self) -> Option<ThreadCpu> {
        self.record.seen_thread()
    }

    /// `block_on`'s output, or how long the grader waited for it in vain. A panic in
    /// `block_on` is raised again here, with its own message.
    fn output_within(&mut self, limit: Duration) -> Result<String, Duration> {
        match self.output.recv_timeout(limit) {
            Ok(output) => Ok(output),
            Err(RecvTimeoutError::Timeout) => Err(self.started.elapsed()),
            Err(RecvTimeoutError::Disconnected) => {
                let worker = self.worker.take().expect("joined once");
                match worker.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!("the worker sends its output before it ends"),
                }
            }
        }
    }

    /// Fails once `block_on` has polled without being woken more than a spurious wake-up
    /// explains.
    fn check_unwoken(&self) -> Result<(), String> {
        if self.record.unwoken() <= SPURIOUS {
            return Ok(());
        }
        if self.waker_first
            && let Some(verdict) = self.waker_verdict()
        {
            return Err(verdict);
        }
        Err(self.unwoken_verdict())
    }

    /// With `block_on` polling unwoken: wakes the future while its thread sleeps between two
    /// such polls, a few times over; the verdict if a wake-up did not unpark it.
    fn waker_verdict(&self) -> Option<String> {
        const HOW: &str =
            "from another thread, while block_on slept between polls nobody asked for";
        let thread = self.thread()?;
        let record = &self.record;
        for _ in 0..TIMED_PROBES {
            let asleep = wait_until(Duration::from_millis(300), || {
                !record.in_poll.load(SeqCst) && thread.is_sleeping() == Some(true)
            });
            if !asleep {
                return None;
            }
            match self.wake_while_asleep(thread, HOW) {
                Ok(Woke::SameSleep(verdict)) | Err(verdict) => return Some(verdict),
                Ok(Woke::Unparked(_) | Woke::Unclear(_)) => {}
            }
        }
        None
    }

    /// Wakes the future from a grader thread while `block_on`'s thread sleeps, and looks at
    /// that thread the moment `wake()` has returned.
    fn wake_while_asleep(&self, thread: ThreadCpu, how: &str) -> Result<Woke, String> {
        let record = &self.record;
        let timed = thread.sleep_is_timed() == Some(true);
        let polls_before = record.polls();
        let before = look(&thread);
        let Some(waking) = record.wake_from_thread() else {
            return Err("the future was never polled, so it has no waker to wake".to_owned());
        };
        // Looks again the moment wake() has returned, to leave a timer no time to run out.
        let woke_at = Instant::now();
        while !record.waking_thread_has_woken(waking) && woke_at.elapsed() < LIMIT {
            thread::yield_now();
        }
        if !record.waking_thread_has_woken(waking) {
            return Err(format!(
                "wake() never returned: a grader thread woke the future's waker ({how}) and \
                 that call was still blocked {} later; wake must only unpark the sleeping \
                 thread, never wait for it",
                seconds(LIMIT)
            ));
        }
        let after = look(&thread);
        if !before.is_some_and(|b| b.asleep) {
            // It had woken up on its own just before: this wake-up tells nothing.
            return Ok(Woke::Unclear(polls_before));
        }
        if after != before || record.polls() != polls_before {
            return Ok(Woke::Unparked(polls_before));
        }
        let waking_threads = record.waking.lock().unwrap();
        Ok(Woke::SameSleep(
            if waking_threads[waking].unparked_itself() {
                unparked_the_waker_verdict(record, how)
            } else {
                did_not_unpark_verdict(record, how, timed)
            },
        ))
    }

    /// Waits until poll number `n` has returned: whether it did within `limit`.
    fn wait_for_poll_end(&self, n: usize, limit: Duration) -> Result<bool, String> {
        let deadline = Instant::now() + limit;
        while !self.record.poll_ended(n) {
            self.check_unwoken()?;
            if Instant::now() >= deadline {
                return Ok(false);
            }
            thread::sleep(Duration::from_millis(1));
        }
        self.check_unwoken()?;
        Ok(true)
    }

    /// Waits until `block_on`'s thread is parked: in one and the same sleep, with no poll, for
    /// `PARKED_QUIET`, or at once in a sleep with a timeout (no lock is waited for with one, so
    /// that is where it waits to be woken, and the sooner the grader wakes it, the further its
    /// timer is from running out). Fails if it polls without being woken, or never parks within
    /// `patience`.
    fn wait_until_parked(&self, patience: Duration) -> Result<(), String> {
        let Some(thread) = self.thread() else {
            thread::sleep(PARKED_QUIET * 5);
            return self.check_unwoken();
        };
        let started = Instant::now();
        let cpu_before = thread.used();
        let sleeps_before = thread.voluntary_sleeps();
        let mut quiet: Option<(Instant, usize, Look)> = None;
        loop {
            self.check_unwoken()?;
            let polls = self.record.polls();
            let look = look(&thread);
            let parked_look = look.filter(|l| l.asleep && !self.record.in_poll.load(SeqCst));
            if parked_look.is_some()
                && thread.sleep_is_timed() == Some(true)
                && self.record.polls() == polls
            {
                return Ok(());
            }
            match (quiet, parked_look) {
                (Some((since, seen_polls, seen)), Some(now))
                    if seen_polls == polls && seen.sleeps == now.sleeps =>
                {
                    if since.elapsed() >= PARKED_QUIET {
                        return Ok(());
                    }
                }
                (_, Some(now)) => quiet = Some((Instant::now(), polls, now)),
                (_, None) => quiet = None,
            }
            if started.elapsed() >= patience {
                let looked = started.elapsed();
                let slept = sleeps_before
                    .zip(thread.voluntary_sleeps())
                    .map_or(0, |(before, after)| after.saturating_sub(before));
                let cpu = cpu_before
                    .zip(thread.used())
                    .map(|(before, after)| after.saturating_sub(before));
                return Err(never_parked_verdict(looked, slept, cpu));
            }
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// With `block_on` parked, wakes the future from a grader thread and checks that this
    /// unparked `block_on`'s thread and got the future polled. Where the thread sleeps with a
    /// timeout, asks for `TIMED_PROBES` such unparks in a row. Leaves the future pending.
    fn probe(&self, how: &str) -> Result<(), String> {
        let record = &self.record;
        let Some(thread) = self.thread() else {
            let before = record.polls();
            record.wake_from_thread();
            return self.expect_repoll(before, how);
        };
        let probes = match thread.sleep_is_timed() {
            Some(false) => 1,
            _ => TIMED_PROBES,
        };
        let (mut unparked, mut tries) = (0, 0);
        while unparked < probes && tries < 3 * probes {
            if tries > 0 {
                self.wait_until_parked(LIMIT)?;
            }
            tries += 1;
            match self.wake_while_asleep(thread, how)? {
                Woke::SameSleep(verdict) => return Err(verdict),
                Woke::Unparked(polls_before) => {
                    unparked += 1;
                    self.expect_repoll(polls_before, how)?;
                }
                Woke::Unclear(polls_before) => self.expect_repoll(polls_before, how)?,
            }
        }
        Ok(())
    }

    /// After a wake-up that unparked `block_on`'s thread, the future must be polled again.
    fn expect_repoll(&self, polls_before: usize, how: &str) -> Result<(), String> {
        if self.wait_for_poll_end(polls_before + 1, LIMIT)? {
            return Ok(());
        }
        Err(format!(
            "the future was woken ({how}) and block_on's thread woke up, but it did not poll \
             the future again in {} (polled {} in all): after waking up, poll the future \
             before going back to sleep",
            seconds(LIMIT),
            times(self.record.polls())
        ))
    }

    /// Poll number `n` was woken before it returned: `block_on` must poll again without going
    /// to sleep first. If it sleeps, finds out whether its waker unparks it at all (a waker
    /// that does nothing) or the wake-up was lost.
    fn expect_kept_wake(&self, n: usize, how: &str) -> Result<(), String> {
        let record = &self.record;
        if !self.wait_for_poll_end(n, LIMIT)? {
            return Err(format!(
                "block_on polled the future only {} in {}, though it was ready to be polled \
                 again: poll once more after each wake-up",
                times(record.polls()),
                seconds(self.started.elapsed())
            ));
        }
        let thread = self.thread();
        let slept_at = record.sleeps_at_poll_end();
        let started = Instant::now();
        let cpu_before = thread.and_then(|t| t.used());
        loop {
            self.check_unwoken()?;
            // The count first: a thread that slept while the poll count still says `n` went to
            // sleep before polling again.
            let sleeps = thread.and_then(|t| t.voluntary_sleeps());
            let polls = record.polls();
            if polls > n {
                // Whether that poll was late is known once it has returned.
                if record.poll_ended(n + 1) {
                    if record.late_poll.lock().unwrap().is_none() {
                        return Ok(());
                    }
                    break;
                }
            } else if sleeps.zip(slept_at).is_some_and(|(now, then)| now > then) {
                break;
            }
            if started.elapsed() >= LIMIT {
                if thread.is_none() {
                    return Err(format!(
                        "the future was woken ({how}) but block_on did not poll it again in {}",
                        seconds(LIMIT)
                    ));
                }
                let cpu = cpu_before
                    .zip(thread.and_then(|t| t.used()))
                    .map(|(before, after)| after.saturating_sub(before));
                return Err(never_parked_verdict(started.elapsed(), 0, cpu));
            }
            thread::sleep(Duration::from_millis(1));
        }
        // block_on went to sleep although the future had been woken: is its waker any use?
        let late_poll = *record.late_poll.lock().unwrap();
        self.wait_until_parked(LIMIT)?;
        self.probe("once more, from another thread, once block_on slept")?;
        let late = match late_poll {
            Some(after) => format!(
                " (it did poll again {} later, but only after sleeping: something else than \
                 the wake-up ended that sleep, most likely a timeout of its own)",
                seconds(after)
            ),
            None => String::new(),
        };
        Err(format!(
            "lost wake-up: the future's waker was woken ({how}), yet block_on went to sleep \
             after that poll{late}; only a second wake-up, once it slept, got the future \
             polled: a wake-up that comes before block_on goes to sleep must not be forgotten"
        ))
    }

    /// Watches `block_on` for `window` while nobody wakes the future.
    fn watch_unwoken(&self, window: Duration) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < window && self.record.unwoken() < SPIN_POLLS {
            thread::sleep(Duration::from_millis(2));
        }
        self.check_unwoken()
    }

    /// The verdict for polls without a wake-up; watches a little longer for a fair figure.
    fn unwoken_verdict(&self) -> String {
        let record = &self.record;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) && record.unwoken() < SPIN_POLLS {
            thread::sleep(Duration::from_millis(2));
        }
        let polls = record.unwoken();
        let span = *record.unwoken_span.lock().unwrap();
        let took = span.map_or(Duration::ZERO, |s| s.latest - s.since);
        let every = took / u32::try_from(polls.max(1)).unwrap_or(u32::MAX);
        // A loop that never sleeps between its polls spins; one that sleeps before each polls
        // on a timer. Where the sleeps are unknown, a poll more often than every millisecond
        // spins.
        let slept = span.and_then(|s| s.sleeps_latest.zip(s.sleeps_since));
        let spins = match slept {
            Some((latest, since)) => latest.saturating_sub(since) * 2 < polls as u64,
            None => every < Duration::from_millis(1),
        };
        if spins {
            format!(
                "block_on spins instead of sleeping: it polled the future {polls} times in {} \
                 without being woken (a spurious wake-up explains one such poll, not {polls}), \
                 a busy loop that keeps a core busy for nothing; after a Pending poll, park the \
                 thread until the waker is woken",
                seconds(took)
            )
        } else {
            format!(
                "block_on polls the future without being woken: {polls} polls in {}, one every \
                 {} on average, while nothing had woken it (a spurious wake-up explains one \
                 such poll, not {polls}); it wakes up on a timer of its own instead of sleeping \
                 until the waker is woken, and a timer is not a wake-up; after a Pending poll, \
                 park the thread with no timeout and let the waker unpark it",
                seconds(took),
                seconds(every)
            )
        }
    }

    /// Lets the future be ready and wakes it; then `block_on` must return its output.
    fn release_and_finish(mut self) -> Result<String, String> {
        self.record.release.store(true, SeqCst);
        let polls = self.record.polls();
        self.record.wake_from_thread();
        let outcome = self.output_within(LIMIT);
        self.record.finish();
        outcome.map_err(|stuck| self.stuck_verdict(polls, stuck))
    }

    /// `block_on`'s output, once the plan has made the future ready.
    fn finish(mut self) -> Result<String, String> {
        let polls = self.record.polls();
        let outcome = self.output_within(LIMIT);
        self.record.finish();
        outcome.map_err(|stuck| self.stuck_verdict(polls, stuck))
    }

    fn stuck_verdict(&self, polls_before: usize, stuck_for: Duration) -> String {
        let record = &self.record;
        let stuck_for = seconds(stuck_for);
        if record.polls_after_finish.load(SeqCst) > 0 {
            return format!(
                "block_on polled the future again after it had returned Ready, and never \
                 returned its output ({stuck_for}): return the output of the first Ready poll"
            );
        }
        if record.finished.load(SeqCst) {
            return format!(
                "the future returned Ready, but block_on never returned ({stuck_for}): return \
                 the output of the first Ready poll"
            );
        }
        format!(
            "the future was woken (from another thread) and would have been ready, but \
             block_on did not poll it again (polled {}, {} before that wake-up) and never \
             returned ({stuck_for}): poll again after every wake-up",
            times(record.polls()),
            times(polls_before)
        )
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.record.finish();
    }
}

/// "once", "twice", "3 times".
fn times(n: usize) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

fn never_parked_verdict(looked: Duration, slept: u64, cpu: Option<Duration>) -> String {
    let cpu = cpu
        .map(|cpu| format!(" and used {} of CPU", seconds(cpu)))
        .unwrap_or_default();
    if slept > 1 {
        format!(
            "block_on never stayed asleep while the future waited: its thread went to sleep \
             and woke up again {slept} times in {}{cpu} without polling, a loop that checks on \
             a timer; after a Pending poll, park the thread until the waker is woken",
            seconds(looked)
        )
    } else {
        format!(
            "block_on never went to sleep while the future waited: its thread was running at \
             every look for {}{cpu}, a busy-wait; after a Pending poll, park the thread until \
             the waker is woken",
            seconds(looked)
        )
    }
}

fn unparked_the_waker_verdict(record: &Record, how: &str) -> String {
    format!(
        "wake() unparked the thread that called it (the grader's waking thread), not the \
         thread asleep in block_on: the future was woken {} ({how}) yet polled only {}; \
         inside wake, the current thread is whoever wakes; the waker must unpark the thread \
         that runs block_on",
        times(record.wakes()),
        times(record.polls())
    )
}

fn did_not_unpark_verdict(record: &Record, how: &str, timed: bool) -> String {
    let timer = if timed {
        " (a timeout of its own would end that sleep some time, but a timer is not a wake-up)"
    } else {
        ""
    };
    format!(
        "waking the waker did not unpark block_on's thread: the future was woken ({how}), and \
         once wake() had returned the thread was still asleep in the same sleep, not polling{timer}; \
         woken {} and polled {} in all; make the waker unpark the thread that runs block_on",
        times(record.wakes()),
        times(record.polls())
    )
}

fn assert_output(output: &str) {
    assert_eq!(
        output, OUTPUT,
        "block_on returned {output:?}, not the future's output {OUTPUT:?}: return what the \
         Ready poll gave"
    );
}

/// Runs a check's steps; a step's verdict fails the check.
fn check(steps: impl FnOnce() -> Result<(), String>) {
    if let Err(verdict) = steps() {
        panic!("{verdict}");
    }
}

#[test]
fn returns_the_output_of_a_future_that_is_ready_at_once() {
    check(|| {
        let mut run = Run::start(Plan::Yields(0));
        let output = run.output_within(LIMIT).map_err(|stuck| {
            format!(
                "block_on never returned ({}), though the future was ready at its first poll \
                 (polled {}): return the output as soon as a poll is Ready",
                seconds(stuck),
                times(run.record.polls())
            )
        })?;
        assert_output(&output);
        let polls = run.record.polls();
        assert!(
            polls == 1,
            "block_on polled a future that was ready at once {polls} times: poll, and return \
             at the first Ready"
        );
        Ok(())
    });
}

#[test]
fn polls_again_when_woken_from_another_thread() {
    const ONCE_ASLEEP: &str = "from another thread, once block_on slept";
    check(|| {
        let run = Run::start(Plan::Driven);
        run.wait_for_poll_end(1, LIMIT)?;
        // Wake-up 1 comes once block_on sleeps.
        run.wait_until_parked(LIMIT)?;
        run.probe(ONCE_ASLEEP)?;
        // Wake-up 2 right after a poll, when block_on may not have gone to sleep yet.
        let polls = run.record.polls();
        run.record.wake_from_thread();
        if !run.wait_for_poll_end(polls + 1, LIMIT)? {
            run.wait_until_parked(LIMIT)?;
            run.probe(ONCE_ASLEEP)?;
            return Err(format!(
                "lost wake-up: the future's waker was woken from another thread just after a \
                 poll, yet block_on went to sleep and did not poll again for {} (polled {}); \
                 only a second wake-up, once it slept, got the future polled: a wake-up that \
                 comes before block_on goes to sleep must not be forgotten",
                seconds(LIMIT),
                times(polls)
            ));
        }
        // Wake-up 3 once it sleeps again.
        run.wait_until_parked(LIMIT)?;
        run.probe(ONCE_ASLEEP)?;
        assert_output(&run.release_and_finish()?);
        Ok(())
    });
}

#[test]
fn sleeps_while_nothing_has_woken_the_future() {
    check(|| {
        let run = Run::start(Plan::Driven).unwoken_polls_first();
        run.wait_for_poll_end(1, LIMIT)?;
        // Nothing wakes the future for a while: block_on must sleep and not poll.
        run.watch_unwoken(UNWOKEN_WINDOW)?;
        run.wait_until_parked(LIMIT)?;
        run.probe("from another thread, after a second of quiet")?;
        assert_output(&run.release_and_finish()?);
        Ok(())
    });
}

#[test]
fn keeps_a_wake_up_that_comes_during_the_poll() {
    check(|| {
        let run = Run::start(Plan::WokenDuringPoll);
        run.expect_kept_wake(
            1,
            "from another thread while its first poll was still running, as when a transfer \
             completes just then",
        )?;
        assert_output(&run.finish()?);
        Ok(())
    });
}

#[test]
fn runs_a_future_that_yields() {
    const YIELDS: usize = 3;
    check(|| {
        let run = Run::start(Plan::Yields(YIELDS));
        for poll in 1..=YIELDS {
            run.expect_kept_wake(poll, "during its own poll, as a future that yields does")?;
        }
        let record = Arc::clone(&run.record);
        assert_output(&run.finish()?);
        let polls = record.polls();
        assert!(
            polls == YIELDS + 1,
            "a future that yielded {YIELDS} times was polled {polls} times, not {}: poll once \
             per wake-up",
            YIELDS + 1
        );
        Ok(())
    });
}
