use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::make_thumbnails;

/// Thread names of the grader's pools, so that a call can tell which pool it runs on.
const CPU_POOL: &str = "cpu-pool-";
const GLOBAL_POOL: &str = "rayon-global-";
/// How long the first reads are held back, waiting for the pools to run a small CPU job. A
/// pool with a free thread starts it within milliseconds; a pool whose threads are all inside
/// those reads cannot start it at all, since the reads wait for it.
const HOLD: Duration = Duration::from_secs(1);
/// The simulated disk: every read takes this long, after the hold.
const DISK: Duration = Duration::from_millis(100);
/// How long the probe tasks get to run on the runtime, and the plotting waits for them.
const PATIENCE: Duration = Duration::from_millis(1500);
const ASKER_WAITS: Duration = Duration::from_millis(2000);
const LIMIT: Duration = Duration::from_secs(8);
/// How long the grader holds upload 0's read (and its shrinking) back, waiting for the last
/// upload's. Work done in parallel gets there within milliseconds; work done one upload at a
/// time cannot, and goes ahead after this long.
const HELD_BACK: Duration = Duration::from_secs(2);

const POOL_FIX: &str = "read the uploads on threads meant for waiting (tokio's blocking pool, \
                        or threads of your own for I/O), and give `cpu` only the shrinking";

/// The service's CPU pool: 2 threads with names the grader recognises. Rayon's global pool gets
/// 2 named threads too (each check runs in its own process, so this is its first use).
fn cpu_pool() -> Arc<rayon::ThreadPool> {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("{GLOBAL_POOL}{i}"))
        .build_global();
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .thread_name(|i| format!("{CPU_POOL}{i}"))
            .build()
            .expect("the grader could not build a rayon pool"),
    )
}

fn uploads(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i:03}.jpg")).collect()
}

/// The grader's file contents and thumbnails: the name's bytes, and a label made of them.
fn contents(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}

fn thumbnail_of(file: &[u8]) -> String {
    format!("thumb:{}", String::from_utf8_lossy(file))
}

/// Where a call ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ran {
    CpuPool(usize),
    GlobalPool(usize),
    /// A rayon pool the learner built (for I/O, say).
    OwnPool,
    Runtime,
    Elsewhere,
}

fn ran_here(runtime: Option<ThreadId>) -> Ran {
    let current = thread::current();
    let index = || rayon::current_thread_index().unwrap_or_default();
    match current.name() {
        Some(name) if name.starts_with(CPU_POOL) => Ran::CpuPool(index()),
        Some(name) if name.starts_with(GLOBAL_POOL) => Ran::GlobalPool(index()),
        _ if rayon::current_thread_index().is_some() => Ran::OwnPool,
        _ if Some(current.id()) == runtime => Ran::Runtime,
        _ => Ran::Elsewhere,
    }
}

/// Calls of the grader's `read` or `shrink`: where each ran and how long it took.
#[derive(Clone, Default)]
struct Calls {
    calls: Arc<Mutex<Vec<(Ran, Duration)>>>,
    runtime: Arc<OnceLock<ThreadId>>,
}

impl Calls {
    /// Made on the runtime's thread.
    fn on_this_runtime() -> Self {
        let calls = Self::default();
        let _ = calls.runtime.set(thread::current().id());
        calls
    }

    fn record<T>(&self, work: impl FnOnce() -> T) -> T {
        let ran = ran_here(self.runtime.get().copied());
        let started = Instant::now();
        let output = work();
        let took = started.elapsed();
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((ran, took));
        output
    }

    fn all(&self) -> Vec<(Ran, Duration)> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many calls matched, the pool threads they ran on, and their time in all.
    fn matching(
        &self,
        wanted: impl Fn(Ran) -> Option<usize>,
    ) -> (usize, BTreeSet<usize>, Duration) {
        let mut count = 0;
        let mut threads = BTreeSet::new();
        let mut total = Duration::ZERO;
        for (ran, took) in self.all() {
            if let Some(index) = wanted(ran) {
                count += 1;
                threads.insert(index);
                total += took;
            }
        }
        (count, threads, total)
    }
}

/// "thread #1" or "threads #0, #1".
fn thread_list(threads: &BTreeSet<usize>) -> String {
    let list = threads
        .iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    if threads.len() == 1 {
        format!("thread {list}")
    } else {
        format!("threads {list}")
    }
}

/// A small CPU job for each pool, queued when the first read starts: how long each waited for
/// a free thread is how long the pool was starved. The reads wait for both jobs to start (or
/// give up after [`HOLD`], and then every read goes ahead).
struct Starvation {
    cpu: Arc<rayon::ThreadPool>,
    queued_at: OnceLock<Instant>,
    cpu_started: Arc<OnceLock<Instant>>,
    global_started: Arc<OnceLock<Instant>>,
    gate: Arc<Gate>,
    queued: AtomicBool,
    /// Set once the held reads gave up waiting for the jobs: a job that starts after it only
    /// got a thread once a read was over.
    gave_up: Arc<AtomicBool>,
    cpu_free: Arc<OnceLock<bool>>,
    global_free: Arc<OnceLock<bool>>,
}

impl Starvation {
    fn new(cpu: &Arc<rayon::ThreadPool>) -> Arc<Self> {
        Arc::new(Self {
            cpu: Arc::clone(cpu),
            queued_at: OnceLock::new(),
            cpu_started: Arc::default(),
            global_started: Arc::default(),
            gate: Gate::new(HOLD),
            queued: AtomicBool::new(false),
            gave_up: Arc::default(),
            cpu_free: Arc::default(),
            global_free: Arc::default(),
        })
    }

    /// Called at the start of every read.
    fn hold_read(&self) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            let _ = self.queued_at.set(Instant::now());
            let both = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            for (started, free, on_cpu) in [
                (&self.cpu_started, &self.cpu_free, true),
                (&self.global_started, &self.global_free, false),
            ] {
                let (started, free) = (Arc::clone(started), Arc::clone(free));
                let gate = Arc::clone(&self.gate);
                let both = Arc::clone(&both);
                let gave_up = Arc::clone(&self.gave_up);
                let job = move || {
                    let _ = free.set(!gave_up.load(Ordering::SeqCst));
                    let _ = started.set(Instant::now());
                    if both.fetch_add(1, Ordering::SeqCst) == 1 {
                        gate.open();
                    }
                };
                // Queued from a thread outside both pools, like any other user's work.
                let cpu = Arc::clone(&self.cpu);
                thread::spawn(move || {
                    if on_cpu {
                        cpu.spawn(job)
                    } else {
                        rayon::spawn(job)
                    }
                });
            }
        }
        if !self.gate.wait() {
            self.gave_up.store(true, Ordering::SeqCst);
            self.gate.open();
        }
    }

    /// Whether the pool's job found a free thread while the reads were held (waiting up to
    /// 2 s more for it now): then the reads held some of the pool's threads, not all of them.
    fn found_a_free_thread(&self, free: &OnceLock<bool>) -> bool {
        wait_until(Duration::from_secs(2), || free.get().is_some());
        free.get().copied().unwrap_or(false)
    }

    /// What the CPU job queued on `pool` met while the reads were held: a free thread, or
    /// none (starvation), with how long it waited.
    fn seen_by_a_job(
        &self,
        started: &OnceLock<Instant>,
        free: &OnceLock<bool>,
        pool: &str,
    ) -> String {
        let waited = self.waited(started);
        if self.found_a_free_thread(free) {
            format!(
                "a thread of {pool} was still free this time (a CPU job queued on it meanwhile \
                 started after {waited}), but each read there leaves a thread that computes for \
                 everybody idle on the disk, and with a few more uploads or users at once every \
                 thread waits and the pool starves"
            )
        } else {
            format!(
                "a CPU job queued on {pool} meanwhile waited {waited} for a free thread (pool \
                 starvation)"
            )
        }
    }

    /// How long the pool's job waited for a thread (waiting up to 2 s more for it now).
    fn waited(&self, started: &OnceLock<Instant>) -> String {
        let Some(queued) = self.queued_at.get() else {
            return "0 ms".to_owned();
        };
        wait_until(Duration::from_secs(2), || started.get().is_some());
        match started.get() {
            Some(started) => format_duration(started.duration_since(*queued)),
            None => format!("more than {}", format_duration(queued.elapsed())),
        }
    }
}

/// Runs the future `make` returns as a task of a fresh current-thread runtime (real clock)
/// under `Run`'s watchdog, so a runtime that never finishes becomes a verdict. The grader's
/// probe and `Placement` measure where the reads and the shrinking held the runtime, and word
/// it, so `Run`'s own blocking verdict is left out.
fn on_runtime<M, F, T>(make: M) -> T
where
    M: FnOnce() -> F + Send + 'static,
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    real_clock()
        .limit(LIMIT)
        .on_never_woken(
            "make_thumbnails never finished: the task waiting for the thumbnails was never \
             woken, or a read or the shrinking never ended",
        )
        .on_blocked(
            "make_thumbnails held the runtime's thread and never gave it back: a read or the \
             shrinking (or a wait for them) ran inside async code",
        )
        .on_busy(
            "make_thumbnails kept the runtime busy without finishing: a loop that checks again \
             or yields instead of awaiting the thumbnails",
        )
        .allow_blocking(
            "the grader's probe and Placement measure where the reads and the shrinking held \
             the runtime",
        )
        .explain_panics(|message| {
            Some(match explain_tokio_panic(message) {
                Some(verdict) => format!("make_thumbnails {verdict}"),
                None => format!("make_thumbnails panicked: {message}"),
            })
        })
        .run_spawned(make)
}

/// When the probe was asked, and when its task started.
type Asked = (Option<Instant>, Option<Instant>);

/// Whether the runtime can run a task right now, asked from another thread: spawns a task and
/// waits (at most [`ASKER_WAITS`]) for it to start. If the runtime's thread is held by work
/// that itself waits for the asking thread, the task cannot start, whatever the load.
#[derive(Clone)]
struct RuntimeProbe {
    handle: tokio::runtime::Handle,
    seen: Arc<(Mutex<Asked>, Condvar)>,
}

impl RuntimeProbe {
    fn here() -> Self {
        Self {
            handle: tokio::runtime::Handle::current(),
            seen: Arc::default(),
        }
    }

    fn ask(&self) {
        self.seen.0.lock().unwrap_or_else(|e| e.into_inner()).0 = Some(Instant::now());
        let seen = Arc::clone(&self.seen);
        self.handle.spawn(async move {
            seen.0.lock().unwrap_or_else(|e| e.into_inner()).1 = Some(Instant::now());
            seen.1.notify_all();
        });
        let state = self.seen.0.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .seen
            .1
            .wait_timeout_while(state, ASKER_WAITS, |(_, started)| started.is_none());
    }

    /// `(asked, ran in time, how long the task waited if it ran at all)`.
    fn report(&self) -> (bool, bool, Option<Duration>) {
        let (asked, started) = *self.seen.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(asked) = asked else {
            return (false, false, None);
        };
        let waited = started.map(|started| started.duration_since(asked));
        (true, waited.is_some_and(|w| w < PATIENCE), waited)
    }

    /// Gives a task that could not run before a chance to run now.
    async fn settle(&self) {
        let until = Instant::now() + ASKER_WAITS;
        while self.report().2.is_none() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[test]
fn reads_no_upload_on_a_rayon_pool() {
    const COUNT: usize = 8;
    let cpu = cpu_pool();
    let starvation = Starvation::new(&cpu);
    let reads = Calls::default();
    let (in_read, recorder) = (Arc::clone(&starvation), reads.clone());
    let read = move |name: &str| {
        recorder.record(|| {
            in_read.hold_read();
            thread::sleep(DISK);
            contents(name)
        })
    };
    let thumbnails =
        on_runtime(move || make_thumbnails(cpu, uploads("beach", COUNT), read, thumbnail_of));
    assert_eq!(
        thumbnails.len(),
        COUNT,
        "returned {} thumbnails for {COUNT} uploads: read and shrink every upload once",
        thumbnails.len()
    );
    let (on_cpu, cpu_threads, cpu_held) = reads.matching(|ran| match ran {
        Ran::CpuPool(index) => Some(index),
        _ => None,
    });
    if on_cpu > 0 {
        panic!(
            "blocking reads ran on the CPU pool: {on_cpu} of {COUNT} reads held its {} \
             for {} in all, waiting on the disk; {}; {POOL_FIX}",
            thread_list(&cpu_threads),
            format_duration(cpu_held),
            starvation.seen_by_a_job(&starvation.cpu_started, &starvation.cpu_free, "`cpu`")
        );
    }
    let (on_global, global_threads, global_held) = reads.matching(|ran| match ran {
        Ran::GlobalPool(index) => Some(index),
        _ => None,
    });
    if on_global > 0 {
        panic!(
            "blocking reads ran on rayon's global pool: {on_global} of {COUNT} reads held its {} \
             for {} in all, waiting on the disk (every par_iter or rayon::spawn outside a pool \
             of its own runs there); {}; {POOL_FIX}",
            thread_list(&global_threads),
            format_duration(global_held),
            starvation.seen_by_a_job(
                &starvation.global_started,
                &starvation.global_free,
                "the global pool"
            )
        );
    }
}

/// The two phases of a batch, during which the runtime must keep running its other tasks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reading,
    Shrinking,
}

/// Makes thumbnails of `count` uploads on a current-thread runtime; the first call of `read`
/// (or of `shrink`, for [`Phase::Shrinking`]) asks whether the runtime can still run a task.
/// Returns how many thumbnails came back, the probe, and where that phase's calls ran.
fn probe_the_runtime_while(phase: Phase, count: usize) -> (usize, RuntimeProbe, Calls) {
    let cpu = cpu_pool();
    on_runtime(move || async move {
        let probe = RuntimeProbe::here();
        let calls = Calls::on_this_runtime();
        let (asker, recorder) = (probe.clone(), calls.clone());
        let asked = Arc::new(AtomicBool::new(false));
        let probing = move || {
            recorder.record(|| {
                if !asked.swap(true, Ordering::SeqCst) {
                    asker.ask();
                }
            })
        };
        let (in_read, in_shrink) = (probing.clone(), probing);
        let read = move |name: &str| {
            if phase == Phase::Reading {
                in_read();
            }
            contents(name)
        };
        let shrink = move |file: &[u8]| {
            if phase == Phase::Shrinking {
                in_shrink();
            }
            thumbnail_of(file)
        };
        let thumbnails = make_thumbnails(cpu, uploads("party", count), read, shrink).await;
        probe.settle().await;
        (thumbnails.len(), probe, calls)
    })
}

/// Fails, naming the stall, unless the runtime ran the probe's task while `phase` was under
/// way.
fn check_the_runtime_stays_free(phase: Phase) {
    const COUNT: usize = 6;
    let (thumbnails, probe, calls) = probe_the_runtime_while(phase, COUNT);
    let (what, done) = match phase {
        Phase::Reading => ("read", "read"),
        Phase::Shrinking => ("shrink", "shrunk"),
    };
    let (asked, ran, waited) = probe.report();
    assert!(
        asked,
        "{what} was never called for {COUNT} uploads (returned {thumbnails} thumbnails): read \
         and shrink every upload"
    );
    if ran {
        return;
    }
    let (on_runtime, _, _) = calls.matching(|ran| (ran == Ran::Runtime).then_some(0));
    let (why, fix) = match (on_runtime > 0, phase) {
        (true, Phase::Reading) => (
            format!("{on_runtime} of the {COUNT} blocking reads ran on the runtime's own thread"),
            "move the reads off the runtime's thread (tokio's blocking pool is made for them) \
             and await their results",
        ),
        (true, Phase::Shrinking) => (
            format!("{on_runtime} of the {COUNT} shrinks ran on the runtime's own thread"),
            "shrink on `cpu`, in a job this task awaits",
        ),
        (false, Phase::Reading) => (
            "the runtime's only thread sat blocked, waiting for the reads to finish (a \
             blocking wait inside async code)"
                .to_owned(),
            "let this task await the files instead of holding its thread until they are read",
        ),
        (false, Phase::Shrinking) => (
            "the runtime's only thread sat blocked, waiting for `cpu` to finish the shrinking \
             (install, a par_iter, or a blocking wait for the pool's result, inside async code)"
                .to_owned(),
            "hand the shrinking to `cpu` as a job, and let this task await the thumbnails \
             instead of holding its thread until they are shrunk",
        ),
    };
    panic!(
        "the runtime stalled while the uploads were {done}: a task spawned meanwhile waited {} \
         to run, because {why}; {fix}",
        match waited {
            Some(waited) => format_duration(waited),
            None => format!("more than {}", format_duration(ASKER_WAITS)),
        }
    );
}

#[test]
fn keeps_the_runtime_free_while_reading() {
    check_the_runtime_stays_free(Phase::Reading);
}

#[test]
fn keeps_the_runtime_free_while_shrinking() {
    check_the_runtime_stays_free(Phase::Shrinking);
}

#[test]
fn shrinks_in_parallel_on_the_cpu_pool() {
    const COUNT: usize = 8;
    let cpu = cpu_pool();
    let meeting = Rendezvous::new(2, Duration::from_secs(2));
    let shrinks = Calls::default();
    let (in_shrink, recorder) = (Arc::clone(&meeting), shrinks.clone());
    let shrink = move |file: &[u8]| {
        recorder.record(|| {
            in_shrink.arrive();
            thumbnail_of(file)
        })
    };
    let thumbnails =
        on_runtime(move || make_thumbnails(cpu, uploads("hike", COUNT), contents_of, shrink));
    assert_eq!(
        thumbnails.len(),
        COUNT,
        "returned {} thumbnails for {COUNT} uploads: read and shrink every upload once",
        thumbnails.len()
    );
    let (elsewhere, _, _) = shrinks.matching(|ran| (!matches!(ran, Ran::CpuPool(_))).then_some(0));
    assert!(
        elsewhere == 0,
        "{elsewhere} of {COUNT} thumbnails were shrunk outside the CPU pool `cpu` (on another \
         pool or thread): shrinking is CPU work, and `cpu` is the pool for it",
    );
    assert!(
        meeting.met(),
        "shrank one thumbnail at a time: the first waited {} for a second one to be shrunk \
         alongside it, and none was; shrink the files in parallel (a parallel iterator inside a \
         job on `cpu`)",
        format_duration(Duration::from_secs(2))
    );
}

fn contents_of(name: &str) -> Vec<u8> {
    contents(name)
}

/// The grader's `read` and `shrink` for a batch from `first` to `last`: upload `first` is held
/// back, its read until `last` has been read and its shrinking until `last`'s is done (or for
/// [`HELD_BACK`] each), so the batch cannot finish in the uploads' order, whatever the load.
fn holding_the_first_back(
    first: String,
    last: String,
) -> (
    impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    impl Fn(&[u8]) -> String + Send + Sync + 'static,
) {
    let held = first != last;
    let (last_read, last_shrunk) = (Gate::new(HELD_BACK), Gate::new(HELD_BACK));
    let (first_file, last_file) = (contents(&first), contents(&last));
    let read = move |name: &str| {
        if held && name == first {
            last_read.wait();
        }
        let file = contents(name);
        if name == last {
            last_read.open();
        }
        file
    };
    let shrink = move |file: &[u8]| {
        if held && file == first_file.as_slice() {
            last_shrunk.wait();
        }
        let thumbnail = thumbnail_of(file);
        if file == last_file.as_slice() {
            last_shrunk.open();
        }
        thumbnail
    };
    (read, shrink)
}

#[test]
fn returns_one_thumbnail_per_upload_in_order() {
    for (prefix, count) in [("none", 0), ("one", 1), ("zoo", 13)] {
        let cpu = cpu_pool();
        let names = uploads(prefix, count);
        let expected: Vec<String> = names.iter().map(|n| thumbnail_of(n.as_bytes())).collect();
        let (first, last) = match (names.first(), names.last()) {
            (Some(first), Some(last)) => (first.clone(), last.clone()),
            _ => (String::new(), String::new()),
        };
        let thumbnails = on_runtime(move || {
            let (read, shrink) = holding_the_first_back(first, last);
            make_thumbnails(cpu, names, read, shrink)
        });
        assert_eq!(
            thumbnails.len(),
            count,
            "returned {} thumbnails for {count} uploads: one per upload",
            thumbnails.len()
        );
        let Some(at) = (0..count).find(|&i| thumbnails[i] != expected[i]) else {
            continue;
        };
        let sorted = |thumbnails: &[String]| {
            let mut thumbnails = thumbnails.to_vec();
            thumbnails.sort();
            thumbnails
        };
        if sorted(&thumbnails) != sorted(&expected) {
            panic!(
                "thumbnail {at} of {count} is {:?}, but upload {at} shrinks to {:?}: give every \
                 upload its own thumbnail, one per upload",
                thumbnails[at], expected[at]
            );
        }
        let reversed: Vec<String> = expected.iter().rev().cloned().collect();
        if thumbnails == reversed {
            panic!(
                "returned the {count} thumbnails in reverse: thumbnail 0 is the last upload's; \
                 return them in the uploads' order"
            );
        }
        let came_back_at = thumbnails
            .iter()
            .position(|t| *t == expected[0])
            .unwrap_or(0);
        let first_is = expected
            .iter()
            .position(|t| *t == thumbnails[0])
            .unwrap_or(0);
        panic!(
            "the thumbnails are not in the uploads' order, they follow the order the work \
             finished: the grader held upload 0 back (its read until upload {last} had been \
             read, its shrinking until upload {last}'s was done), and its thumbnail came back at \
             position {came_back_at} of {count} (thumbnail 0 is upload {first_is}'s); keep each \
             thumbnail at its upload's place, whatever order the reads and the shrinks finish in",
            last = count - 1
        );
    }
}
