//! Grades `block_on` with futures the grader controls: ready at once, yielding (waking
//! themselves during a poll), woken from a grader thread once `block_on` sleeps, or woken from
//! another thread while their poll is still running. The facts that decide: how often the
//! future was polled, how often it was woken, and whether `block_on`'s thread sleeps in the
//! kernel (parked) or runs, read from outside through /proc.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::{ThreadCpu, seconds};
use asynclings_grading::prelude::*;

use crate::exercise::block_on;

/// Real-time bound on one `block_on` call that needs milliseconds.
const LIMIT: Duration = Duration::from_secs(1);
/// The same, when the grader's thread waits for `block_on` to sleep before each wake-up.
const PACED_LIMIT: Duration = Duration::from_millis(1500);
/// How long `block_on`'s thread must look asleep, with no poll, to count as parked.
const QUIET: Duration = Duration::from_millis(100);
/// Polls without a wake-up: spurious wake-ups give a correct `block_on` one or two, never this.
const SPIN_POLLS: usize = 50;
/// After a late wake-up of a stuck `block_on`, how long the next poll may take.
const LATE_PATIENCE: Duration = Duration::from_secs(1);

const OUTPUT: &str = "firmware 4.2 flashed";

/// A thread looked at from outside through Linux's /proc: asleep in the kernel (parked, or
/// blocked on a lock, a channel, a condition variable) or running. Where /proc is missing,
/// `asleep` says `None` and only poll counts decide.
#[derive(Clone, Copy)]
struct SeenThread {
    tid: u64,
    cpu: Option<ThreadCpu>,
}

impl SeenThread {
    fn current() -> Option<Self> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        let tid = link.file_name()?.to_str()?.parse().ok()?;
        Some(Self {
            tid,
            cpu: ThreadCpu::current(),
        })
    }

    /// Whether the thread sleeps in the kernel right now (state `S` or `D`).
    fn asleep(&self) -> Option<bool> {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{}/stat", self.tid)).ok()?;
        let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
        Some(matches!(state, "S" | "D"))
    }
}

/// A grader thread that wakes a waker, as an I/O thread would, then parks until released. If
/// that wake-up unparked the waking thread itself, the waker unparks whoever calls it
/// (`thread::current()` inside `wake`) instead of the thread in `block_on`.
struct WakingThread {
    woke: Arc<AtomicBool>,
    released: Arc<AtomicBool>,
    handle: JoinHandle<bool>,
}

impl WakingThread {
    fn start(waker: Waker) -> Self {
        let woke = Arc::new(AtomicBool::new(false));
        let released = Arc::new(AtomicBool::new(false));
        let (done, let_go) = (Arc::clone(&woke), Arc::clone(&released));
        let handle = thread::spawn(move || {
            waker.wake();
            done.store(true, SeqCst);
            // A fresh thread has no unpark token, and std's `park` does not return
            // spuriously where the OS parks on a futex: only an `unpark` ends this.
            thread::park();
            !let_go.load(SeqCst)
        });
        WakingThread {
            woke,
            released,
            handle,
        }
    }

    fn has_woken(&self) -> bool {
        self.woke.load(SeqCst)
    }

    /// Whether the wake-up unparked this thread before the grader let it go.
    fn unparked_itself(&self) -> bool {
        self.handle.is_finished() && !self.released.load(SeqCst)
    }

    fn release(&self) {
        self.released.store(true, SeqCst);
        self.handle.thread().unpark();
    }
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
    waker: Mutex<Option<Waker>>,
    thread: OnceLock<Option<SeenThread>>,
    waking: Mutex<Vec<WakingThread>>,
    /// The check is over: grader threads stop waiting.
    stop: AtomicBool,
}

impl Record {
    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }

    fn seen_thread(&self) -> Option<SeenThread> {
        self.thread.get().copied().flatten()
    }

    /// Waits until poll number `n` has returned (or the check is over).
    fn wait_for_poll(&self, n: usize) -> bool {
        wait_until(LIMIT, || {
            self.stop.load(SeqCst) || (self.polls() >= n && !self.in_poll.load(SeqCst))
        }) && !self.stop.load(SeqCst)
    }

    /// Wakes the waker of the latest poll from a new grader thread.
    fn wake_from_thread(&self) {
        let waker = self.waker.lock().unwrap().clone();
        if let Some(waker) = waker {
            self.wakes.fetch_add(1, SeqCst);
            let waking = WakingThread::start(waker);
            self.waking.lock().unwrap().push(waking);
        }
    }

    fn a_waking_thread_unparked_itself(&self) -> bool {
        let waking = self.waking.lock().unwrap();
        // The wake-up is immediate; give the threads a moment to get there.
        wait_until(Duration::from_millis(200), || {
            waking.iter().all(|w| w.has_woken())
        });
        waking.iter().any(|w| w.unparked_itself())
    }

    fn finish(&self) {
        self.stop.store(true, SeqCst);
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
    /// Pending until the grader has woken it `n` times from its threads.
    WokenFromOutside(usize),
    /// At its first poll, a grader thread wakes it before that poll returns.
    WokenDuringPoll,
}

/// The USB transfer the flasher waits for: a future the grader scripts.
struct Transfer {
    record: Arc<Record>,
    plan: Plan,
    output: Option<String>,
}

fn transfer(plan: Plan) -> (Arc<Record>, Transfer) {
    let record = Arc::new(Record::default());
    let transfer = Transfer {
        record: Arc::clone(&record),
        plan,
        output: Some(OUTPUT.to_owned()),
    };
    (record, transfer)
}

impl Future for Transfer {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = self.get_mut();
        let record = &this.record;
        if record.finished.load(SeqCst) {
            record.polls_after_finish.fetch_add(1, SeqCst);
            return Poll::Pending;
        }
        record.in_poll.store(true, SeqCst);
        let poll = record.polls.fetch_add(1, SeqCst) + 1;
        record.thread.get_or_init(SeenThread::current);
        *record.waker.lock().unwrap() = Some(cx.waker().clone());
        let ready = match this.plan {
            Plan::Yields(n) => {
                if poll <= n {
                    record.wakes.fetch_add(1, SeqCst);
                    cx.waker().wake_by_ref();
                }
                poll > n
            }
            Plan::WokenFromOutside(n) => record.wakes() >= n,
            Plan::WokenDuringPoll => {
                if poll == 1 {
                    record.wakes.fetch_add(1, SeqCst);
                    let waking = WakingThread::start(cx.waker().clone());
                    // This poll returns only once the other thread has woken the waker.
                    wait_until(LIMIT, || waking.has_woken());
                    record.waking.lock().unwrap().push(waking);
                }
                poll > 1
            }
        };
        record.finished.store(ready, SeqCst);
        record.in_poll.store(false, SeqCst);
        if ready {
            Poll::Ready(this.output.take().unwrap_or_default())
        } else {
            Poll::Pending
        }
    }
}

/// What the grader saw while the future waited and nobody woke it.
enum Waiting {
    /// Asleep at every look for `QUIET`, with no poll: parked.
    Asleep,
    /// Polled again and again without a wake-up.
    Repolled { polls: usize, within: Duration },
    /// Not polling, but never seen asleep either.
    Running {
        looked: Duration,
        cpu: Option<Duration>,
    },
}

/// Watches `block_on`'s thread after a `Pending` poll, for up to `patience`.
fn watch_waiting(record: &Record, patience: Duration) -> Waiting {
    let started = Instant::now();
    let polls_before = record.polls();
    let thread = record.seen_thread();
    let cpu_before = thread.and_then(|t| t.cpu).and_then(|c| c.used());
    let mut quiet: Option<(Instant, usize)> = None;
    loop {
        let polls = record.polls();
        let extra = polls - polls_before;
        if extra >= SPIN_POLLS {
            return Waiting::Repolled {
                polls: extra,
                within: started.elapsed(),
            };
        }
        let asleep = if record.in_poll.load(SeqCst) {
            Some(false)
        } else {
            thread.and_then(|t| t.asleep())
        };
        if asleep == Some(false) {
            quiet = None;
        } else {
            match quiet {
                Some((since, seen)) if seen == polls => {
                    if since.elapsed() >= QUIET {
                        return Waiting::Asleep;
                    }
                }
                _ => quiet = Some((Instant::now(), polls)),
            }
        }
        if started.elapsed() >= patience {
            let looked = started.elapsed();
            if extra > 3 {
                return Waiting::Repolled {
                    polls: extra,
                    within: looked,
                };
            }
            let cpu_after = thread.and_then(|t| t.cpu).and_then(|c| c.used());
            let cpu = cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b));
            return Waiting::Running { looked, cpu };
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Runs `block_on(transfer)` on a watched thread: its output, or how long it ran.
fn run_block_on(transfer: Transfer, limit: Duration) -> Result<String, Duration> {
    let started = Instant::now();
    Watchdog::new(limit, "block_on never returned")
        .try_run(move || block_on(transfer))
        .map_err(|_| started.elapsed())
}

/// Why `block_on` never returned, from what the grader saw: `how` says when the future was
/// woken. May wake the future once more, to tell a lost wake-up from a waker that does not
/// unpark at all.
fn stuck_verdict(record: &Record, how: &str, stuck_for: Duration) -> String {
    let polls = record.polls();
    let wakes = record.wakes();
    let stuck_for = seconds(stuck_for);
    if record.polls_after_finish.load(SeqCst) > 0 {
        return format!(
            "block_on polled the future again after it had returned Ready, and never returned \
             its output ({stuck_for}): return the output of the first Ready poll"
        );
    }
    if record.a_waking_thread_unparked_itself() {
        return unparked_the_waker_verdict(wakes, how, polls);
    }
    if let Some(thread) = record.seen_thread()
        && thread.asleep() == Some(false)
    {
        return format!(
            "block_on never returned, and its thread was running all along: the future was \
             woken {} ({how}) but polled only {} in {stuck_for}; it busy-waits for something \
             that never happens; sleep until the waker is woken, then poll again",
            times(wakes),
            times(polls)
        );
    }
    // block_on sleeps. One more wake-up, now: does its waker work at all?
    let before = record.polls();
    record.wake_from_thread();
    if wait_until(LATE_PATIENCE, || record.polls() > before) {
        format!(
            "lost wake-up: the future's waker was woken ({how}), yet block_on went to sleep \
             and did not poll again for {stuck_for} (polled {}); only a second wake-up, once it \
             slept, got the future polled: a wake-up that comes before block_on goes to sleep \
             must not be forgotten",
            times(polls)
        )
    } else if record.a_waking_thread_unparked_itself() {
        unparked_the_waker_verdict(record.wakes(), how, polls)
    } else {
        format!(
            "block_on parked its thread and never woke up: the future's waker was woken ({how}), \
             and once more after block_on had gone to sleep, yet the future was polled only {} \
             in {stuck_for}: waking the waker does not unpark the thread blocked in block_on, \
             so it sleeps forever; make the waker unpark that thread",
            times(polls)
        )
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

fn unparked_the_waker_verdict(wakes: usize, how: &str, polls: usize) -> String {
    format!(
        "wake() unparked the thread that called it (the grader's waking thread), not the \
         thread asleep in block_on: the future was woken {} ({how}) yet polled only {}; \
         inside wake, the current thread is whoever wakes; the waker must unpark the thread \
         that runs block_on",
        times(wakes),
        times(polls)
    )
}

fn assert_output(output: &str) {
    assert_eq!(
        output, OUTPUT,
        "block_on returned {output:?}, not the future's output {OUTPUT:?}: return what the \
         Ready poll gave"
    );
}

#[test]
fn returns_the_output_of_a_future_that_is_ready_at_once() {
    let (record, transfer) = transfer(Plan::Yields(0));
    let outcome = run_block_on(transfer, LIMIT);
    record.finish();
    let output = outcome.unwrap_or_else(|stuck| {
        panic!(
            "block_on never returned ({}), though the future was ready at its first poll \
             (polled {}): return the output as soon as a poll is Ready",
            seconds(stuck),
            times(record.polls())
        )
    });
    assert_output(&output);
    let polls = record.polls();
    assert!(
        polls == 1,
        "block_on polled a future that was ready at once {polls} times: poll, and return at \
         the first Ready"
    );
}

#[test]
fn polls_again_when_woken_from_another_thread() {
    const WAKE_UPS: usize = 3;
    let (record, transfer) = transfer(Plan::WokenFromOutside(WAKE_UPS));
    let driver = {
        let record = Arc::clone(&record);
        thread::spawn(move || {
            for round in 1..=WAKE_UPS {
                if !record.wait_for_poll(round) {
                    return;
                }
                // Wake-ups 1 and 3 come once block_on sleeps; wake-up 2 right away, when it
                // may not have gone to sleep yet.
                if round != 2 {
                    let _ = watch_waiting(&record, Duration::from_millis(300));
                }
                record.wake_from_thread();
            }
        })
    };
    let outcome = run_block_on(transfer, PACED_LIMIT);
    record.stop.store(true, SeqCst);
    let _ = driver.join();
    let verdict = match &outcome {
        Ok(_) => None,
        Err(stuck) => Some(stuck_verdict(&record, "from another thread", *stuck)),
    };
    record.finish();
    if let Some(verdict) = verdict {
        panic!("{verdict}");
    }
    assert_output(&outcome.unwrap_or_default());
}

#[test]
fn sleeps_while_nothing_has_woken_the_future() {
    let (record, transfer) = transfer(Plan::WokenFromOutside(1));
    let driver = {
        let record = Arc::clone(&record);
        thread::spawn(move || {
            if !record.wait_for_poll(1) {
                return None;
            }
            let seen = watch_waiting(&record, Duration::from_secs(1));
            record.wake_from_thread();
            Some(seen)
        })
    };
    let outcome = run_block_on(transfer, Duration::from_secs(2));
    record.stop.store(true, SeqCst);
    let seen = driver.join().ok().flatten();
    let verdict = match (seen, &outcome) {
        (Some(Waiting::Repolled { polls, within }), _) => Some(format!(
            "block_on spins instead of sleeping: it polled the future {polls} more times in {} \
             while nothing had woken it (a spurious wake-up explains one extra poll, not {polls}), \
             a busy loop that keeps a core busy for nothing; after a Pending poll, park the \
             thread until the waker is woken",
            seconds(within)
        )),
        (Some(Waiting::Running { looked, cpu }), _) => Some(format!(
            "block_on never went to sleep while the future waited: its thread was running at \
             every look for {}{}, a busy-wait; after a Pending poll, park the thread until the \
             waker is woken",
            seconds(looked),
            cpu.map(|cpu| format!(" and used {} of CPU", seconds(cpu)))
                .unwrap_or_default()
        )),
        (_, Err(stuck)) => Some(stuck_verdict(&record, "from another thread", *stuck)),
        _ => None,
    };
    record.finish();
    if let Some(verdict) = verdict {
        panic!("{verdict}");
    }
}

#[test]
fn keeps_a_wake_up_that_comes_during_the_poll() {
    let (record, transfer) = transfer(Plan::WokenDuringPoll);
    let outcome = run_block_on(transfer, LIMIT);
    let verdict = outcome.as_ref().err().map(|stuck| {
        stuck_verdict(
            &record,
            "from another thread while its first poll was still running, as when a transfer \
             completes just then",
            *stuck,
        )
    });
    record.finish();
    if let Some(verdict) = verdict {
        panic!("{verdict}");
    }
    assert_output(&outcome.unwrap_or_default());
}

#[test]
fn runs_a_future_that_yields() {
    const YIELDS: usize = 3;
    let (record, transfer) = transfer(Plan::Yields(YIELDS));
    let outcome = run_block_on(transfer, LIMIT);
    let verdict = outcome.as_ref().err().map(|stuck| {
        stuck_verdict(
            &record,
            "during its own poll, as a future that yields does",
            *stuck,
        )
    });
    record.finish();
    if let Some(verdict) = verdict {
        panic!("{verdict}");
    }
    assert_output(&outcome.unwrap_or_default());
    let polls = record.polls();
    assert!(
        polls == YIELDS + 1,
        "a future that yielded {YIELDS} times was polled {polls} times, not {}: poll once \
         per wake-up",
        YIELDS + 1
    );
}
