//! Grades the task-queue executor with jobs the grader scripts: ready at once, yielding
//! (waking themselves during a poll), woken from a grader thread once `run` sleeps, woken
//! twice in one poll and again as they finish, spawning more jobs. The facts that decide: how
//! often each job was polled and woken, on which thread, whether a finished job was polled,
//! which jobs had finished when `run` returned (and which were woken and still waiting in the
//! queue then), whether a `wake()` call returned, and whether `run`'s thread sleeps in the
//! kernel or runs (read from outside through /proc).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::{ThreadCpu, seconds};
use asynclings_grading::prelude::*;

use crate::exercise::{Executor, Spawner};

/// Real-time bound on one `run` that needs milliseconds.
const LIMIT: Duration = Duration::from_millis(1500);
/// How long `run`'s thread must look asleep, with no poll, to count as sleeping on the queue.
const QUIET: Duration = Duration::from_millis(100);
/// Polls without a wake-up that no executor makes.
const SPIN_POLLS: usize = 50;

/// The thread that calls `run`, as the jobs and the grader see it.
#[derive(Default)]
struct Runner {
    id: OnceLock<ThreadId>,
    seen: OnceLock<Option<ThreadCpu>>,
    /// `run` has returned (or panicked).
    returned: AtomicBool,
}

impl Runner {
    fn seen(&self) -> Option<ThreadCpu> {
        self.seen.get().copied().flatten()
    }
}

/// How a grader job waits.
#[derive(Clone, Copy)]
enum Plan {
    Ready,
    /// Wakes itself during each of its first `n` polls (as a job that yields does).
    Yields(usize),
    /// Pending until a grader thread wakes it.
    WokenFromOutside,
    /// Wakes itself twice during its first poll, and once more during its second, as it
    /// finishes: its task sits in the run queue after it finished.
    WokenTwiceAndAsItFinishes,
    /// Ready at its first poll, and wakes itself twice as it finishes: its task is in the run
    /// queue twice more after it finished.
    ReadyWokenTwice,
}

impl Plan {
    /// How the job was woken, for a verdict.
    fn how(self) -> &'static str {
        match self {
            Plan::Ready => "never",
            Plan::Yields(_) => "during its own poll, as a job that yields does",
            Plan::WokenFromOutside => "from another thread",
            Plan::WokenTwiceAndAsItFinishes => "twice during its first poll",
            Plan::ReadyWokenTwice => "twice as it finished",
        }
    }
}

/// What happened to one grader job.
struct JobRecord {
    name: &'static str,
    plan: Plan,
    polls: AtomicUsize,
    in_poll: AtomicBool,
    finished: AtomicBool,
    polls_after_finish: AtomicUsize,
    /// Wake-ups the grader gave, during polls or from its threads.
    wakes: AtomicUsize,
    /// `wakes` when the latest poll began.
    wakes_at_last_poll: AtomicUsize,
    /// A `wake()` the job made during its poll has not returned yet.
    waking_now: AtomicBool,
    /// Polls on a thread other than `run`'s.
    off_thread_polls: AtomicUsize,
    /// Wake-ups given during the poll that returned Ready: the task was queued again after
    /// its job had finished.
    woken_as_it_finished: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl JobRecord {
    fn new(name: &'static str, plan: Plan) -> Arc<Self> {
        Arc::new(JobRecord {
            name,
            plan,
            polls: AtomicUsize::new(0),
            in_poll: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            polls_after_finish: AtomicUsize::new(0),
            wakes: AtomicUsize::new(0),
            wakes_at_last_poll: AtomicUsize::new(0),
            waking_now: AtomicBool::new(false),
            off_thread_polls: AtomicUsize::new(0),
            woken_as_it_finished: AtomicUsize::new(0),
            waker: Mutex::new(None),
        })
    }

    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }

    fn finished(&self) -> bool {
        self.finished.load(SeqCst)
    }

    /// Woken since its latest poll began: its task is in the run queue, waiting to be polled.
    fn woken_and_waiting(&self) -> bool {
        !self.finished() && self.wakes() > self.wakes_at_last_poll.load(SeqCst)
    }

    /// Waits until poll number `n` has returned.
    fn wait_for_poll(&self, n: usize) -> bool {
        wait_until(LIMIT, || self.polls() >= n && !self.in_poll.load(SeqCst))
    }

    /// Wakes the waker of the latest poll, inside this job's poll.
    fn wake_inline(&self, waker: &Waker) {
        self.wakes.fetch_add(1, SeqCst);
        self.waking_now.store(true, SeqCst);
        waker.wake_by_ref();
        self.waking_now.store(false, SeqCst);
    }

    /// Wakes the waker of the latest poll from a new grader thread.
    fn wake_from_thread(&self) {
        let waker = self.waker.lock().unwrap().clone();
        if let Some(waker) = waker {
            self.wakes.fetch_add(1, SeqCst);
            thread::spawn(move || waker.wake());
        }
    }
}

/// A print job: a future the grader scripts.
struct PrintJob {
    record: Arc<JobRecord>,
    runner: Arc<Runner>,
    on_first_poll: Option<Box<dyn FnOnce() + Send>>,
}

impl Future for PrintJob {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let record = &this.record;
        if this.runner.id.get() != Some(&thread::current().id()) {
            record.off_thread_polls.fetch_add(1, SeqCst);
        }
        if record.finished() {
            record.polls_after_finish.fetch_add(1, SeqCst);
            return Poll::Pending;
        }
        record.in_poll.store(true, SeqCst);
        record.wakes_at_last_poll.store(record.wakes(), SeqCst);
        let poll = record.polls.fetch_add(1, SeqCst) + 1;
        *record.waker.lock().unwrap() = Some(cx.waker().clone());
        if let Some(first) = this.on_first_poll.take() {
            first();
        }
        let ready = match record.plan {
            Plan::Ready => true,
            Plan::Yields(n) => {
                if poll <= n {
                    record.wake_inline(cx.waker());
                }
                poll > n
            }
            Plan::WokenFromOutside => record.wakes() > 0,
            Plan::WokenTwiceAndAsItFinishes => {
                if poll == 1 {
                    record.wake_inline(cx.waker());
                    record.wake_inline(cx.waker());
                } else {
                    record.wake_inline(cx.waker());
                }
                poll > 1
            }
            Plan::ReadyWokenTwice => {
                record.wake_inline(cx.waker());
                record.wake_inline(cx.waker());
                true
            }
        };
        if ready {
            let woken = record.wakes() - record.wakes_at_last_poll.load(SeqCst);
            record.woken_as_it_finished.store(woken, SeqCst);
        }
        record.finished.store(ready, SeqCst);
        record.in_poll.store(false, SeqCst);
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The jobs of one check, and the thread that runs them.
#[derive(Default)]
struct Shop {
    runner: Arc<Runner>,
    records: Vec<Arc<JobRecord>>,
}

impl Shop {
    /// A job for the shop; `on_first_poll` runs inside its first poll.
    fn job(
        &mut self,
        name: &'static str,
        plan: Plan,
        on_first_poll: Option<Box<dyn FnOnce() + Send>>,
    ) -> (Arc<JobRecord>, PrintJob) {
        let record = JobRecord::new(name, plan);
        self.records.push(Arc::clone(&record));
        let job = PrintJob {
            record: Arc::clone(&record),
            runner: Arc::clone(&self.runner),
            on_first_poll,
        };
        (record, job)
    }

    fn record(&self, name: &str) -> &JobRecord {
        self.records
            .iter()
            .find(|r| r.name == name)
            .expect("a job of the check")
    }
}

/// How a `run` ended.
enum Ran {
    Returned,
    Panicked(String),
    Stuck(Duration),
}

/// Makes an executor on a watched thread, lets `setup` spawn jobs with its spawner, then runs
/// it.
fn run_executor(shop: &Shop, setup: impl FnOnce(&Spawner) + Send + 'static) -> Ran {
    let runner = Arc::clone(&shop.runner);
    let started = Instant::now();
    let outcome = Watchdog::new(LIMIT, "run() never returned").try_run(move || {
        runner.id.get_or_init(|| thread::current().id());
        runner.seen.get_or_init(ThreadCpu::current);
        let executor = Executor::default();
        setup(&executor.spawner());
        let ran = catch_unwind(AssertUnwindSafe(|| executor.run()))
            .map_err(|panic| panic_message(&*panic).to_owned());
        runner.returned.store(true, SeqCst);
        ran
    });
    match outcome {
        Ok(Ok(())) => Ran::Returned,
        Ok(Err(message)) => Ran::Panicked(message),
        Err(_) => Ran::Stuck(started.elapsed()),
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

/// Why `run` never returned, from what the grader saw.
fn stuck_verdict(shop: &Shop, stuck_for: Duration) -> String {
    let stuck_for = seconds(stuck_for);
    if let Some(job) = shop.records.iter().find(|r| r.waking_now.load(SeqCst)) {
        return format!(
            "wake() never returned: job `{}` woke its own task during its poll, and that wake() \
             call was still blocked {stuck_for} later (a waker that polls the task itself waits \
             for the lock its own poll holds); a waker must only put the task back in the run \
             queue, and leave polling to run()",
            job.name
        );
    }
    if let Some(job) = shop
        .records
        .iter()
        .find(|r| r.off_thread_polls.load(SeqCst) > 0)
    {
        return polled_off_thread_verdict(job);
    }
    if let Some(thread) = shop.runner.seen()
        && thread.is_sleeping() == Some(false)
    {
        return format!(
            "run() never returned ({stuck_for}), and its thread was running all along, not \
             sleeping on the run queue; {}",
            unfinished_jobs(shop)
        );
    }
    let forgotten = shop
        .records
        .iter()
        .find(|r| !r.finished() && r.wakes() > r.wakes_at_last_poll.load(SeqCst) && r.polls() > 0);
    match forgotten {
        Some(job) => format!(
            "job `{}` was woken ({}) but never polled again: it was polled {} and woken {}, and \
             run() has slept on an empty run queue for {stuck_for}; waking a task must put it \
             back in the run queue",
            job.name,
            job.plan.how(),
            times(job.polls()),
            times(job.wakes())
        ),
        None => format!(
            "run() never returned ({stuck_for}); {}",
            unfinished_jobs(shop)
        ),
    }
}

fn unfinished_jobs(shop: &Shop) -> String {
    let waiting: Vec<String> = shop
        .records
        .iter()
        .filter(|r| !r.finished())
        .map(|r| {
            format!(
                "`{}` (polled {}, woken {})",
                r.name,
                times(r.polls()),
                times(r.wakes())
            )
        })
        .collect();
    if waiting.is_empty() {
        "every job had finished: return once none is left".to_owned()
    } else {
        format!("jobs not finished: {}", waiting.join(", "))
    }
}

/// The verdict for a `run` that returned before every job had finished, or `None`. Where a
/// finished job's task had been queued again and another job was woken and still waiting in
/// the queue (so the queue was not empty), `run` stopped on its count of unfinished jobs: it
/// counted a finished job again.
fn returned_early_verdict(shop: &Shop) -> Option<String> {
    let unfinished: Vec<&str> = shop
        .records
        .iter()
        .filter(|r| !r.finished())
        .map(|r| r.name)
        .collect();
    if unfinished.is_empty() {
        return None;
    }
    let requeued = shop
        .records
        .iter()
        .find(|r| r.finished() && r.woken_as_it_finished.load(SeqCst) > 0);
    let waiting = shop.records.iter().find(|r| r.woken_and_waiting());
    Some(match (requeued, waiting) {
        (Some(finished), Some(waiting)) => format!(
            "run() returned while {} had not finished ({}), though job `{}` had been woken and \
             was still waiting in the run queue: job `{}` had finished, and its task was queued \
             {} more as it finished, so run() counted that finished job again when its task \
             came out of the queue; a finished task must be skipped, neither polled nor \
             counted as finished a second time",
            unfinished.join(", "),
            unfinished_jobs(shop),
            waiting.name,
            finished.name,
            times(finished.woken_as_it_finished.load(SeqCst))
        ),
        _ => format!(
            "run() returned while {} had not finished ({}): run until every spawned job, \
             including those spawned by jobs, has finished",
            unfinished.join(", "),
            unfinished_jobs(shop)
        ),
    })
}

fn polled_off_thread_verdict(job: &JobRecord) -> String {
    format!(
        "job `{}` was polled on the thread that woke it ({} inside wake()), not by run() on \
         its own thread: a waker that polls runs the task on whatever thread wakes it (an I/O \
         thread, a timer) and leaves run() asleep; a waker must only put the task back in \
         the run queue",
        job.name,
        times(job.off_thread_polls.load(SeqCst))
    )
}

/// The verdict for a `run` that did not return, or `None`.
fn did_not_return(shop: &Shop, ran: &Ran) -> Option<String> {
    match ran {
        Ran::Returned => None,
        Ran::Panicked(message) => Some(format!(
            "run() panicked: \"{message}\" ({}); a task that comes out of the run queue after \
             its job finished is not an error: skip it",
            unfinished_jobs(shop)
        )),
        Ran::Stuck(stuck_for) => Some(stuck_verdict(shop, *stuck_for)),
    }
}

/// What the grader saw while a job waited and nobody woke it.
enum Waiting {
    /// Asleep at every look for `QUIET`, with no poll: sleeping on the run queue.
    Asleep,
    /// Polled again and again without a wake-up.
    Repolled { polls: usize, within: Duration },
    /// Not polling, but never seen asleep either.
    Running {
        looked: Duration,
        cpu: Option<Duration>,
    },
}

/// Watches `run`'s thread while `job` waits, for up to `patience`.
fn watch_waiting(runner: &Runner, job: &JobRecord, patience: Duration) -> Waiting {
    let started = Instant::now();
    let polls_before = job.polls() + job.polls_after_finish.load(SeqCst);
    let polls_now = || job.polls() + job.polls_after_finish.load(SeqCst);
    let thread = runner.seen();
    let cpu_before = thread.and_then(|t| t.used());
    let mut quiet: Option<(Instant, usize)> = None;
    loop {
        let polls = polls_now();
        let extra = polls - polls_before;
        if extra >= SPIN_POLLS {
            return Waiting::Repolled {
                polls: extra,
                within: started.elapsed(),
            };
        }
        let asleep = if job.in_poll.load(SeqCst) {
            Some(false)
        } else {
            thread.and_then(|t| t.is_sleeping())
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
            let cpu_after = thread.and_then(|t| t.used());
            let cpu = cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b));
            return Waiting::Running { looked, cpu };
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn fail_if(verdict: Option<String>) {
    if let Some(verdict) = verdict {
        panic!("{verdict}");
    }
}

#[test]
fn runs_every_job_to_completion() {
    let mut shop = Shop::default();
    let (_, receipt) = shop.job("receipt", Plan::Ready, None);
    let (_, poster) = shop.job("poster", Plan::Yields(2), None);
    let (banner_record, banner) = shop.job("banner", Plan::WokenFromOutside, None);
    let (_, flyer_a) = shop.job("flyer a", Plan::Ready, None);
    let (_, flyer_b) = shop.job("flyer b", Plan::Yields(1), None);
    // The `flyers` job spawns two more jobs, with a spawner it gets once the executor exists.
    let spawner_for_a_job = Arc::new(Mutex::new(None::<Spawner>));
    let spawner_slot = Arc::clone(&spawner_for_a_job);
    let spawn_flyers: Box<dyn FnOnce() + Send> = Box::new(move || {
        if let Some(spawner) = spawner_slot.lock().unwrap().take() {
            spawner.spawn(flyer_a);
            spawner.spawn(flyer_b);
        }
    });
    let (_, flyers) = shop.job("flyers", Plan::Ready, Some(spawn_flyers));
    let driver = {
        let (runner, banner) = (Arc::clone(&shop.runner), Arc::clone(&banner_record));
        thread::spawn(move || {
            if banner.wait_for_poll(1) {
                let _ = watch_waiting(&runner, &banner, Duration::from_millis(300));
                if !runner.returned.load(SeqCst) {
                    banner.wake_from_thread();
                }
            }
        })
    };
    let ran = run_executor(&shop, move |spawner| {
        *spawner_for_a_job.lock().unwrap() = Some(spawner.clone());
        spawner.spawn(receipt);
        spawner.spawn(poster);
        spawner.spawn(banner);
        spawner.spawn(flyers);
    });
    let _ = driver.join();
    fail_if(did_not_return(&shop, &ran));
    if let Some(job) = shop
        .records
        .iter()
        .find(|r| r.off_thread_polls.load(SeqCst) > 0)
    {
        panic!("{}", polled_off_thread_verdict(job));
    }
    fail_if(returned_early_verdict(&shop));
}

#[test]
fn never_polls_a_finished_job() {
    let mut shop = Shop::default();
    let (proof_record, proof) = shop.job("proof", Plan::WokenTwiceAndAsItFinishes, None);
    let (banner_record, banner) = shop.job("banner", Plan::WokenFromOutside, None);
    let driver = {
        let runner = Arc::clone(&shop.runner);
        thread::spawn(move || {
            // Once the proof has finished and run() has gone through the queue (and sleeps),
            // the banner's wake-up lets run() end.
            if wait_until(LIMIT, || proof_record.finished()) && banner_record.wait_for_poll(1) {
                let _ = watch_waiting(&runner, &proof_record, Duration::from_millis(300));
                if !runner.returned.load(SeqCst) {
                    banner_record.wake_from_thread();
                }
            }
        })
    };
    let ran = run_executor(&shop, move |spawner| {
        spawner.spawn(proof);
        spawner.spawn(banner);
    });
    let _ = driver.join();
    let proof = shop.record("proof");
    let after = proof.polls_after_finish.load(SeqCst);
    if let Ran::Panicked(message) = &ran
        && proof.finished()
    {
        panic!(
            "run() panicked (\"{message}\") when job `proof`, already finished, came out of \
             the run queue again: it had been woken {} (twice during one poll, once as it \
             finished), so its task was queued more than once; a finished task in the queue is \
             not an error: skip it",
            times(proof.wakes())
        );
    }
    assert!(
        after == 0,
        "polled job `proof` {} more after it had finished (it returned Pending then, but an \
         async block panics when resumed after completion): it had been woken {} (twice \
         during one poll, once as it finished), so its task was in the run queue again; a \
         finished task must never be polled again",
        times(after),
        times(proof.wakes())
    );
    fail_if(did_not_return(&shop, &ran));
    fail_if(returned_early_verdict(&shop));
}

#[test]
fn returns_only_once_every_job_has_finished() {
    let mut shop = Shop::default();
    let (_, receipt) = shop.job("receipt", Plan::ReadyWokenTwice, None);
    let (poster_record, poster) = shop.job("poster", Plan::Yields(3), None);
    let (banner_record, banner) = shop.job("banner", Plan::WokenFromOutside, None);
    let driver = {
        let runner = Arc::clone(&shop.runner);
        thread::spawn(move || {
            // The receipt's task comes out of the queue twice after it finished, while the
            // poster is still yielding. Once the poster has finished and run() sleeps, the
            // banner's paper arrives.
            let poster_done = || poster_record.finished() || runner.returned.load(SeqCst);
            if wait_until(LIMIT, poster_done)
                && !runner.returned.load(SeqCst)
                && banner_record.wait_for_poll(1)
            {
                let _ = watch_waiting(&runner, &banner_record, Duration::from_millis(300));
                if !runner.returned.load(SeqCst) {
                    banner_record.wake_from_thread();
                }
            }
        })
    };
    let ran = run_executor(&shop, move |spawner| {
        spawner.spawn(receipt);
        spawner.spawn(poster);
        spawner.spawn(banner);
    });
    let _ = driver.join();
    if let Some(job) = shop
        .records
        .iter()
        .find(|r| r.polls_after_finish.load(SeqCst) > 0)
    {
        panic!(
            "polled job `{}` {} more after it had finished (it returned Pending then, but an \
             async block panics when resumed after completion): its task was queued again as \
             it finished; a finished task must never be polled again",
            job.name,
            times(job.polls_after_finish.load(SeqCst))
        );
    }
    fail_if(did_not_return(&shop, &ran));
    fail_if(returned_early_verdict(&shop));
}

#[test]
fn sleeps_while_no_job_is_woken() {
    let mut shop = Shop::default();
    let (banner_record, banner) = shop.job("banner", Plan::WokenFromOutside, None);
    let driver = {
        let runner = Arc::clone(&shop.runner);
        thread::spawn(move || {
            if !banner_record.wait_for_poll(1) {
                return None;
            }
            let seen = watch_waiting(&runner, &banner_record, Duration::from_secs(1));
            banner_record.wake_from_thread();
            Some(seen)
        })
    };
    let shop_limit_note = "the banner waits for paper, and nothing wakes it for a while";
    let ran = run_executor(&shop, move |spawner| spawner.spawn(banner));
    let seen = driver.join().ok().flatten();
    match seen {
        Some(Waiting::Repolled { polls, within }) => panic!(
            "run() polled job `banner` {polls} more times in {} while nothing had woken it \
             ({shop_limit_note}): the task went back into the run queue after every Pending \
             poll, a busy loop that keeps a core busy for nothing; only a wake-up may put a \
             task back in the run queue",
            seconds(within)
        ),
        Some(Waiting::Running { looked, cpu }) => panic!(
            "run() never slept while no job was woken ({shop_limit_note}): its thread was \
             running at every look for {}{}, a busy-wait on an empty run queue; block on the \
             queue until a task arrives",
            seconds(looked),
            cpu.map(|cpu| format!(" and used {} of CPU", seconds(cpu)))
                .unwrap_or_default()
        ),
        _ => {}
    }
    fail_if(did_not_return(&shop, &ran));
}

#[test]
fn polls_a_job_woken_elsewhere_on_its_own_thread() {
    let mut shop = Shop::default();
    let (banner_record, banner) = shop.job("banner", Plan::WokenFromOutside, None);
    let driver = {
        let banner = Arc::clone(&banner_record);
        thread::spawn(move || {
            if banner.wait_for_poll(1) {
                banner.wake_from_thread();
            }
        })
    };
    let ran = run_executor(&shop, move |spawner| spawner.spawn(banner));
    let _ = driver.join();
    fail_if(did_not_return(&shop, &ran));
    let banner = shop.record("banner");
    if banner.off_thread_polls.load(SeqCst) > 0 {
        panic!("{}", polled_off_thread_verdict(banner));
    }
    assert!(
        banner.finished(),
        "run() returned before job `banner` finished: {}",
        unfinished_jobs(&shop)
    );
}

#[test]
fn returns_at_once_when_nothing_was_spawned() {
    let shop = Shop::default();
    let ran = run_executor(&shop, |_| {});
    if let Ran::Stuck(stuck_for) = ran {
        panic!(
            "run() with no job spawned never returned ({}): with nothing unfinished there is \
             nothing to wait for",
            seconds(stuck_for)
        );
    }
    fail_if(did_not_return(&shop, &ran));
}
