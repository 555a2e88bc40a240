use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use asynclings_grading::site::{Awaiter as TaskUnderTest, Site};
use tokio::sync::{mpsc, oneshot};

use crate::exercise::{Config, reload};

/// How long the grader's file server waits, on its own thread, for another task of the runtime
/// to run before it sends the file. A runtime that is free answers within milliseconds (200 ms
/// at the very worst on a loaded 2-core machine); one whose thread the read holds never answers,
/// so this is also the stall a blocked runtime suffers in these checks.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_millis(2500);
const OWN_CHECK: &str = "the grader's heartbeat measures the stall of the read, and each poll \
                         of publish records its thread";

/// How long the workers take to switch over to a new configuration (real time).
const SWITCH_OVER: Duration = Duration::from_millis(200);

const FIX: &str = "read the file on tokio's blocking pool and .await the result";
/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "reload never finished: the task waited for something that never \
                              came (did it open the file more than once?)";
const ON_BLOCKED: &str = "reload blocked the runtime's thread and never gave it back: the read \
                          (or a wait for it) ran inside async code; read the file on tokio's \
                          blocking pool and .await the result";
const ON_BUSY: &str = "reload kept the runtime busy without finishing: a loop that yields or \
                       checks again instead of awaiting the read; .await the read's result";

#[derive(Clone, Copy, Debug)]
enum Flavour {
    CurrentThread,
    /// A multi-thread runtime with a single worker: a blocked worker cannot hide behind a
    /// second one that happens to run the other tasks.
    MultiThread,
}

// --- Where work ran, and whether the runtime went on meanwhile (local helpers) -------------

/// The task under test (the one that awaits the learner's code) and its thread, and whether
/// the learner's code has opened the grader's file yet.
#[derive(Clone, Default)]
struct Awaiter {
    task: TaskUnderTest,
    /// The operating system's id of the thread the task under test started on (Linux).
    os_thread: Arc<Mutex<Option<u64>>>,
    /// The name `/proc` gives the threads of the runtime's blocking pool.
    pool_thread_name: Arc<Mutex<Option<String>>>,
    file_opened: Arc<AtomicBool>,
}

impl Awaiter {
    /// Called first thing inside the task under test.
    fn enter(&self) {
        self.task.enter();
        *self.os_thread.lock().unwrap_or_else(|e| e.into_inner()) = os_thread_id();
    }

    fn os_thread(&self) -> Option<u64> {
        *self.os_thread.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Learns the name of the runtime's blocking threads, from one of them.
    async fn learn_pool_thread_name(&self) {
        let name =
            tokio::task::spawn_blocking(|| std::fs::read_to_string("/proc/thread-self/comm").ok())
                .await
                .ok()
                .flatten();
        *self
            .pool_thread_name
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = name;
    }

    fn pool_thread_name(&self) -> Option<String> {
        self.pool_thread_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn site_here(&self) -> Site {
        self.task.site_here()
    }
}

/// Runs `check` as a task on a fresh real-clock runtime of the given flavour, beside a
/// heartbeat task, on a watched thread; tokio's panics become verdicts.
fn run_task<T, F>(
    flavour: Flavour,
    check: impl FnOnce(Heartbeat, Awaiter) -> F + Send + 'static,
) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let run = match flavour {
        Flavour::CurrentThread => real_clock(),
        Flavour::MultiThread => real_clock().multi_thread(1),
    };
    let awaiter = Awaiter::default();
    let opened = Arc::clone(&awaiter.file_opened);
    run.allow_blocking(OWN_CHECK)
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .explain_panics(move |message| explain(message, opened.load(Ordering::SeqCst)))
        .run(move || async move {
            let heartbeat = Heartbeat::start();
            awaiter.learn_pool_thread_name().await;
            let inside = awaiter.clone();
            let task = tokio::spawn(async move {
                inside.enter();
                check(heartbeat, inside).await
            });
            match task.await {
                Ok(output) => output,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        })
}

/// `file_opened`: whether reload had opened the configuration file when tokio panicked.
fn explain(message: &str, file_opened: bool) -> Option<String> {
    if message.contains("only when running on the multi-threaded runtime") && file_opened {
        Some(
            "reload called block_in_place after it had read the file (around publish?), and on \
             a current-thread runtime (the daemon's) tokio panics on that: there is no other \
             thread to hand the runtime's tasks to; publish is async: .await it in reload's own \
             task, where waiting for the workers costs no thread"
                .to_owned(),
        )
    } else if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "reload called block_in_place, and on a current-thread runtime (the daemon's) tokio \
             panics on that: there is no other thread to hand the runtime's tasks to while this \
             one blocks; read on tokio's blocking pool instead, which works on both kinds of \
             runtime"
                .to_owned(),
        )
    } else if message.contains("runtime from within a runtime") {
        Some(
            "reload called block_on inside async code, and tokio panics on that: you are already \
             in a task, so .await the future instead of blocking on it"
                .to_owned(),
        )
    } else {
        None
    }
}

// --- The grader's file server: a named pipe --------------------------------------------------

/// A configuration "file" on a slow file server: a named pipe in the check's scratch directory.
/// Opening it for reading blocks until the server opens the other end; reading then blocks
/// until the server has written the text and closed it, so the read takes exactly as long as
/// the grader decides: here, until another task of the runtime has run (or `PATIENCE`).
struct SlowFile {
    path: PathBuf,
}

/// What the file server saw while it served the file.
#[derive(Clone, Copy, Debug)]
struct Served {
    /// Whether another task of the runtime ran while the reader waited for the text.
    others_ran: bool,
    /// How long the reader waited for it.
    held: Duration,
    /// Where the read was while the runtime's thread was held (when it was).
    reader: Reader,
}

/// Which thread was reading the file while the runtime's thread was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    /// The runtime's own thread, which the task under test runs on.
    RuntimeThread,
    /// A thread of tokio's blocking pool (`spawn_blocking`, `tokio::fs`).
    BlockingPool,
    /// Some other thread (`std::thread`).
    OwnThread,
    /// The operating system did not say (no `/proc`).
    Unknown,
}

impl SlowFile {
    fn create(tag: &str) -> Self {
        let path = std::env::current_dir()
            .expect("the grader could not find its scratch directory")
            .join(format!("{tag}-{}.conf", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("the grader could not run mkfifo to make its slow file");
        assert!(made.success(), "the grader could not make its slow file");
        SlowFile { path }
    }

    /// Serves `text` to the first reader, from a thread of its own. Once the reader has opened
    /// the file, and before it sends the text, the server waits for the heartbeat (on the
    /// runtime) to answer, if it is given one; without, it sends the text at once.
    fn serve(
        &self,
        text: &'static str,
        heartbeat: Option<Heartbeat>,
        awaiter: &Awaiter,
    ) -> Arc<Mutex<Option<Served>>> {
        let served = Arc::new(Mutex::new(None));
        let record = Arc::clone(&served);
        let path = self.path.clone();
        let awaiter = awaiter.clone();
        thread::spawn(move || {
            // Blocks until the reader opens the file (if it never does, this thread stays here
            // until the check's process ends).
            let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(&path) else {
                return;
            };
            awaiter.file_opened.store(true, Ordering::SeqCst);
            let started = Instant::now();
            let others_ran = heartbeat.is_none_or(|heartbeat| heartbeat.answered_within(PATIENCE));
            let held = started.elapsed();
            // The reader waits in a read of the file until the text comes: if the runtime is
            // held meanwhile, find which thread that read is on.
            let reader = if others_ran {
                Reader::Unknown
            } else {
                reader_of(&path, awaiter.os_thread(), awaiter.pool_thread_name())
            };
            *record.lock().unwrap() = Some(Served {
                others_ran,
                held,
                reader,
            });
            let _ = file.write_all(text.as_bytes());
        });
        served
    }
}

/// The operating system's id of the calling thread (Linux), from `/proc/thread-self`.
fn os_thread_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Which thread is waiting in a read of the file at `path`, from what `/proc` says of each
/// thread of this process: the system call it is in, and the file its first argument, a file
/// descriptor, refers to. Looks a few times, for a reader still on its way into the read.
/// `pool_thread_name`: the name (as `/proc` gives it) of the threads of the runtime's blocking
/// pool.
fn reader_of(path: &Path, runtime_thread: Option<u64>, pool_thread_name: Option<String>) -> Reader {
    let (Some(runtime_thread), Ok(path)) = (runtime_thread, path.canonicalize()) else {
        return Reader::Unknown;
    };
    for _ in 0..20 {
        let Ok(threads) = std::fs::read_dir("/proc/self/task") else {
            return Reader::Unknown;
        };
        for thread in threads.flatten() {
            let Some(tid) = thread
                .file_name()
                .to_str()
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            if !reads(tid, &path) {
                continue;
            }
            if tid == runtime_thread {
                return Reader::RuntimeThread;
            }
            let name = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok();
            return if name.is_some() && name == pool_thread_name {
                Reader::BlockingPool
            } else {
                Reader::OwnThread
            };
        }
        thread::sleep(Duration::from_millis(10));
    }
    Reader::Unknown
}

/// Whether thread `tid` of this process is in a system call on a descriptor of `path` (Linux:
/// `/proc/self/task/<tid>/syscall` gives the call's number and arguments, in hexadecimal).
fn reads(tid: u64, path: &Path) -> bool {
    let Ok(call) = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")) else {
        return false;
    };
    let Some(descriptor) = call
        .split_whitespace()
        .nth(1)
        .and_then(|arg| u64::from_str_radix(arg.trim_start_matches("0x"), 16).ok())
    else {
        return false;
    };
    std::fs::read_link(format!("/proc/self/fd/{descriptor}")).is_ok_and(|file| file == path)
}

impl Drop for SlowFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A plain file in the check's scratch directory, removed afterwards.
struct PlainFile {
    path: PathBuf,
}

impl PlainFile {
    fn create(tag: &str, text: &str) -> Self {
        let path = std::env::current_dir()
            .expect("the grader could not find its scratch directory")
            .join(format!("{tag}-{}.conf", std::process::id()));
        std::fs::write(&path, text).expect("the grader could not write its config file");
        PlainFile { path }
    }
}

impl Drop for PlainFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

// --- The grader's workers: what `publish` talks to -------------------------------------------

/// Workers on the runtime that take a new configuration and acknowledge it. `publish` sends it
/// to them and awaits the acknowledgement; every poll of the future `publish` returns records
/// where it ran.
#[derive(Clone)]
struct Workers {
    inbox: mpsc::UnboundedSender<(Config, oneshot::Sender<()>)>,
    received: Arc<Mutex<Vec<Config>>>,
    polls: Arc<Mutex<Vec<(Site, Instant)>>>,
    awaiter: Awaiter,
    /// Whether `publish` returned `Pending` and was polled again inside the same poll of
    /// `reload` (marked with `mark_polls`): that poll held its thread for the whole wait for
    /// the workers (a block_on).
    same_poll: WaitInOnePoll,
}

impl Workers {
    fn start(awaiter: Awaiter) -> Self {
        let (inbox, mut configs) = mpsc::unbounded_channel::<(Config, oneshot::Sender<()>)>();
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&received);
        tokio::spawn(async move {
            while let Some((config, ack)) = configs.recv().await {
                keep.lock().unwrap().push(config);
                tokio::time::sleep(SWITCH_OVER).await;
                let _ = ack.send(());
            }
        });
        Workers {
            inbox,
            received,
            polls: Arc::default(),
            awaiter,
            same_poll: WaitInOnePoll::default(),
        }
    }

    /// The `publish` handed to `reload`.
    fn publish(&self) -> impl FnOnce(Config) -> Publishing + Send + 'static {
        let workers = self.clone();
        move |config| {
            let inbox = workers.inbox.clone();
            Publishing {
                inner: Box::pin(async move {
                    let (ack, acked) = oneshot::channel();
                    if inbox.send((config, ack)).is_ok() {
                        let _ = acked.await;
                    }
                }),
                workers,
            }
        }
    }

    fn received(&self) -> Vec<Config> {
        self.received.lock().unwrap().clone()
    }

    /// `Err(verdict)` if `publish` was polled anywhere but on the runtime, or waited for
    /// inside one poll of `reload`.
    fn check_published_on_the_runtime(&self) -> Result<(), String> {
        if self.same_poll.waited_in_one_poll().is_some() {
            return Err(format!(
                "publish, which is async, was waited for inside one poll of reload: it returned \
                 Pending (the workers take {} ms to switch over) and was polled again before \
                 reload's poll returned, so reload held its thread for the whole wait (a \
                 block_on, inside block_in_place or not), where an .await costs no thread; \
                 .await publish in reload's own task",
                SWITCH_OVER.as_millis()
            ));
        }
        let polls = self.polls.lock().unwrap().clone();
        let Some(&(site, _)) = polls
            .iter()
            .find(|(site, _)| matches!(site, Site::BlockingPool | Site::OtherThread))
        else {
            return Ok(());
        };
        let kept = match (polls.first(), polls.last()) {
            (Some(&(_, first)), Some(&(_, last))) => (last - first).as_millis(),
            _ => 0,
        };
        let place = match site {
            Site::BlockingPool => {
                "on tokio's blocking pool (driven there by a block_on inside \
                                   spawn_blocking)"
            }
            _ => "on a thread outside the runtime (driven there by a block_on)",
        };
        Err(format!(
            "publish, which is async, was polled {place} and kept that thread for {kept} ms \
             while it waited for the workers: async code waits for free on the runtime, but \
             parked on a blocking thread it holds one for the whole wait; keep only the file \
             read on the blocking pool and .await publish in reload's own task"
        ))
    }
}

/// The future `publish` returns: the grader's send-and-acknowledge, recording each poll's site.
struct Publishing {
    inner: Pin<Box<dyn Future<Output = ()> + Send>>,
    workers: Workers,
}

impl Future for Publishing {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let site = self.workers.awaiter.site_here();
        self.workers
            .polls
            .lock()
            .unwrap()
            .push((site, Instant::now()));
        let same_poll = self.workers.same_poll.clone();
        same_poll.poll(|| self.inner.as_mut().poll(cx))
    }
}

// --- The checks ------------------------------------------------------------------------------

const PORT_8443: &str = "# edge node\nlisten_port = 8443\nbatch_size = 250\n";
const PORT_9000: &str = "batch_size = 4096   # large batches\nlisten_port = 9000\n";

/// Reloads from a slow file on a runtime of `flavour` and checks that other tasks ran while the
/// read waited for the file server.
fn reloads_without_stalling(flavour: Flavour, text: &'static str, expected: Config) {
    let file = SlowFile::create(&format!("slow-{flavour:?}"));
    let path = file.path.clone();
    let (served, reloaded, received) = run_task(flavour, move |heartbeat, awaiter| async move {
        let served = file.serve(text, Some(heartbeat), &awaiter);
        let workers = Workers::start(awaiter);
        let reloaded = reload(&path, workers.publish()).await;
        let served = *served.lock().unwrap();
        (
            served,
            reloaded.map_err(|e| e.to_string()),
            workers.received(),
        )
    });
    let Some(served) = served else {
        panic!("reload never opened the configuration file: read the file at `path`");
    };
    if !served.others_ran {
        let held = served.held.as_millis();
        let starved = "another task of the runtime (the grader's heartbeat, ready the whole \
                       time) could not run once";
        let waited = |place: &str, fix: &str| {
            format!(
                "reading the configuration held the runtime's thread for {held} ms while the \
                 file server took its time, though the read itself ran {place}: reload waited \
                 for it without yielding (a join, or a block_on, inside async code): {starved}; \
                 {fix}"
            )
        };
        panic!(
            "{}",
            match served.reader {
                Reader::RuntimeThread => format!(
                    "reading the configuration held the runtime's thread for {held} ms while \
                     the file server took its time: the read ran right on it, inside reload's \
                     poll, and {starved}; {FIX}"
                ),
                Reader::BlockingPool => waited(
                    "on tokio's blocking pool",
                    ".await the read instead of blocking until it is done"
                ),
                Reader::OwnThread => waited(
                    "on a thread of its own",
                    "read the file on tokio's blocking pool and .await the result instead of \
                     blocking until it is done"
                ),
                Reader::Unknown => format!(
                    "reading the configuration held the runtime's thread for {held} ms while \
                     the file server took its time (the read ran on it, or reload waited there \
                     for a read elsewhere: a join, or a block_on): {starved}; {FIX}, without \
                     blocking on it"
                ),
            }
        );
    }
    assert_eq!(
        reloaded.as_ref(),
        Ok(&expected),
        "reload should return the configuration it read"
    );
    assert_eq!(
        received,
        [expected],
        "the workers should receive the new configuration exactly once, through publish"
    );
}

#[test]
fn other_tasks_run_while_the_file_server_is_slow() {
    reloads_without_stalling(
        Flavour::CurrentThread,
        PORT_8443,
        Config {
            listen_port: 8443,
            batch_size: 250,
        },
    );
}

#[test]
fn other_tasks_run_while_the_file_server_is_slow_on_a_multi_thread_runtime() {
    reloads_without_stalling(
        Flavour::MultiThread,
        PORT_9000,
        Config {
            listen_port: 9000,
            batch_size: 4096,
        },
    );
}

/// Reloads from a plain file on a runtime of `flavour` and checks where `publish` was polled.
fn publishes_on_the_runtime(flavour: Flavour) {
    // A named pipe served at once: the grader knows when it was opened (see `explain`).
    let file = SlowFile::create(&format!("quick-{flavour:?}"));
    let path = file.path.clone();
    let (workers, reloaded) = run_task(flavour, move |_heartbeat, awaiter| async move {
        let _served = file.serve(PORT_9000, None, &awaiter);
        let workers = Workers::start(awaiter);
        let reloading = mark_polls("reload", reload(&path, workers.publish()));
        let reloaded = reloading.await;
        (workers, reloaded.map_err(|e| e.to_string()))
    });
    workers
        .check_published_on_the_runtime()
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert!(
        reloaded.is_ok() && workers.received().len() == 1,
        "reload should read the file, publish it once and return it (it returned {reloaded:?} \
         and published {} time(s))",
        workers.received().len()
    );
}

#[test]
fn publish_is_awaited_on_the_runtime() {
    publishes_on_the_runtime(Flavour::CurrentThread);
}

#[test]
fn publish_is_awaited_on_the_runtime_on_a_multi_thread_runtime() {
    publishes_on_the_runtime(Flavour::MultiThread);
}

/// Reloads from `path` and expects an error of `kind` and nothing published.
fn fails_without_publishing(path: PathBuf, kind: io::ErrorKind, what: &str) {
    let (workers, reloaded) = run_task(
        Flavour::CurrentThread,
        move |_heartbeat, awaiter| async move {
            let workers = Workers::start(awaiter);
            let reloaded = reload(&path, workers.publish()).await;
            (workers, reloaded.map_err(|e| e.kind()))
        },
    );
    assert_eq!(
        reloaded.as_ref().err(),
        Some(&kind),
        "{what}: reload should return the io::Error ({kind:?}), but returned {reloaded:?}"
    );
    assert!(
        workers.received().is_empty(),
        "{what}, yet the workers received a configuration: publish only what was read and \
         parsed"
    );
}

#[test]
fn a_missing_file_is_an_error_and_nothing_is_published() {
    let path = Path::new("no-such-dir").join(format!("missing-{}.conf", std::process::id()));
    fails_without_publishing(path, io::ErrorKind::NotFound, "the file does not exist");
}

#[test]
fn a_malformed_file_is_an_error_and_nothing_is_published() {
    let file = PlainFile::create("malformed", "listen_port = eighty\nbatch_size = 10\n");
    fails_without_publishing(
        file.path.clone(),
        io::ErrorKind::InvalidData,
        "the file says `listen_port = eighty`",
    );
}
