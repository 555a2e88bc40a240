//! Grades `check_links`, a synchronous function that builds its own runtime, from a plain
//! thread (no runtime around it), as the tool's `main` calls it. The grader's probe records,
//! from inside each probe task (the earlier links' probes take longer), the facts the settings
//! decide: the thread it ran on (its name, and whether it was the caller's), the runtime's
//! flavour and worker count, and whether the runtime has tokio's timer and I/O drivers (a probe that finds one missing says so instead of
//! panicking). After each call, the worker threads named after the tool must be gone, and the
//! task each call's first probe leaves on the runtime must have been dropped before the call
//! returned.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::exercise::{Settings, check_links};

/// A call still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_secs(3);

/// How long a finished runtime's worker threads may take to leave the process's thread list
/// (they are joined when the runtime is dropped, so they are gone within microseconds).
const THREADS_GONE: Duration = Duration::from_secs(1);

/// One probe task, as it saw itself.
#[derive(Clone, Debug)]
struct Sighting {
    link: String,
    thread: ThreadId,
    thread_name: Option<String>,
    current_thread: bool,
    workers: usize,
    /// A driver the probe found missing, with tokio's panic message.
    missing: Option<(&'static str, String)>,
}

type Log = Arc<Mutex<Vec<Sighting>>>;

/// How long the keep-alive task's drop waits for `check_links` to return. A runtime shut down
/// before the call returns drops it while the call waits (so the call returns this much later);
/// one left to shut down in the background drops it after the call returned.
const SHUTDOWN_PATIENCE: Duration = Duration::from_millis(300);

/// When the runtime dropped the task each call's first probe leaves behind (a connection's
/// keep-alive, which never finishes by itself): before or after `check_links` returned.
#[derive(Default)]
struct Shutdown {
    spawned: AtomicBool,
    returned: AtomicBool,
    /// `Some(true)`: dropped before `check_links` returned.
    dropped_before_return: Mutex<Option<bool>>,
}

/// The keep-alive task's state; the runtime drops it when it shuts down.
struct KeepAlive(Arc<Shutdown>);

impl Drop for KeepAlive {
    fn drop(&mut self) {
        // Only `check_links` returning, or the patience running out, ends this wait: a call
        // that waits for its runtime's shutdown cannot return meanwhile, so the answer does
        // not depend on timing.
        let started = Instant::now();
        while !self.0.returned.load(SeqCst) && started.elapsed() < SHUTDOWN_PATIENCE {
            thread::sleep(Duration::from_millis(1));
        }
        let before = !self.0.returned.load(SeqCst);
        *self.0.dropped_before_return.lock().unwrap() = Some(before);
    }
}

/// How long the probe of `link` takes: the earlier links of the grader's lists are the slower
/// ones (20 ms apart, far more than the scheduling jitter), so probes that run at the same time
/// finish in the reverse order, and a report gathered as they finish comes out of order on
/// every run.
fn latency(link: &str) -> Duration {
    let ms = if link.ends_with("/docs") {
        61
    } else if link.contains("down") {
        41
    } else if link.ends_with("/blog") {
        21
    } else {
        1
    };
    Duration::from_millis(ms)
}

/// Links whose host starts with `up` are alive.
fn is_alive(link: &str) -> bool {
    link.trim_start_matches("https://").starts_with("up")
}

/// The tool's probe: a 1 ms timer, then a datagram to itself over a tokio socket.
fn probe(
    log: Log,
    shutdown: Arc<Shutdown>,
) -> impl Fn(String) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> {
    move |link: String| {
        let log = Arc::clone(&log);
        let shutdown = Arc::clone(&shutdown);
        Box::pin(async move {
            if !shutdown.spawned.swap(true, SeqCst) {
                let keep_alive = KeepAlive(shutdown);
                tokio::spawn(async move {
                    let _keep_alive = keep_alive;
                    std::future::pending::<()>().await
                });
            }
            let handle = Handle::current();
            let here = thread::current();
            let mut sighting = Sighting {
                link: link.clone(),
                thread: here.id(),
                thread_name: here.name().map(str::to_owned),
                current_thread: handle.runtime_flavor() == RuntimeFlavor::CurrentThread,
                workers: handle.metrics().num_workers(),
                missing: None,
            };
            let missing = use_timers_and_sockets(latency(&link)).await.err();
            let alive = missing.is_none() && is_alive(&link);
            sighting.missing = missing;
            log.lock().unwrap().push(sighting);
            alive
        })
    }
}

/// Sleeps `latency` on tokio's timer and sends a datagram to itself on a tokio socket; a missing
/// driver is reported with tokio's panic message instead of panicking.
async fn use_timers_and_sockets(latency: Duration) -> Result<(), (&'static str, String)> {
    let sleep = catch_unwind(|| tokio::time::sleep(latency))
        .map_err(|panic| ("timer", panic_message(&*panic).to_owned()))?;
    sleep.await;
    let plain = std::net::UdpSocket::bind("127.0.0.1:0").expect("the grader could not bind");
    plain.set_nonblocking(true).expect("the grader could not set up its socket");
    let socket = catch_unwind(AssertUnwindSafe(|| tokio::net::UdpSocket::from_std(plain)))
        .map_err(|panic| ("I/O", panic_message(&*panic).to_owned()))?
        .expect("the grader could not register its socket");
    let me = socket.local_addr().expect("the grader's socket has no address");
    socket.send_to(b"ping", me).await.expect("the grader's datagram was not sent");
    let mut buffer = [0; 4];
    socket.recv_from(&mut buffer).await.expect("the grader's datagram was lost");
    Ok(())
}

/// What one call of `check_links` did.
struct Call {
    settings: Settings,
    caller: ThreadId,
    report: Vec<(String, bool)>,
    sightings: Vec<Sighting>,
    shutdown: Arc<Shutdown>,
}

/// Calls `check_links` from a plain thread under a watchdog, as the tool's `main` does.
fn call(name: &str, workers: usize, links: &[&'static str]) -> Call {
    let settings = Settings {
        name: name.to_owned(),
        workers,
    };
    let log = Log::default();
    let shutdown = Arc::new(Shutdown::default());
    let probe = probe(Arc::clone(&log), Arc::clone(&shutdown));
    let (given, links, returned) = (settings.clone(), links.to_vec(), Arc::clone(&shutdown));
    let (caller, report) = Watchdog::new(
        LIMIT,
        "check_links never returned: the probes never finished, or the runtime never shut down",
    )
    .run(move || {
        let caller = thread::current().id();
        let report = check_links(&given, &links, probe);
        returned.returned.store(true, SeqCst);
        (caller, report)
    });
    let sightings = log.lock().unwrap().clone();
    Call {
        settings,
        caller,
        report,
        sightings,
        shutdown,
    }
}

/// Threads of this process whose name starts with `prefix` (Linux: /proc; elsewhere none).
fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end().starts_with(prefix))
        .count()
}

impl Call {
    fn worker_name(&self) -> String {
        format!("{}-worker", self.settings.name)
    }

    /// Every probe had the timers and sockets it needs.
    fn check_drivers(&self) {
        if let Some(Sighting {
            missing: Some((driver, message)),
            ..
        }) = self.sightings.iter().find(|s| s.missing.is_some())
        {
            let without = self.sightings.iter().filter(|s| s.missing.is_some()).count();
            let said = message.split(". ").next().unwrap_or(message);
            panic!(
                "{without} of {} probe(s) ran on a runtime without tokio's {driver} driver \
                 (tokio: \"{said}\"): a runtime you build by hand has no timers and no sockets \
                 until you ask for them, unlike the one #[tokio::main] builds; enable the \
                 drivers the probe uses on the builder",
                self.sightings.len()
            );
        }
    }

    /// Every probe ran as a task on a multi-thread runtime with the workers asked for, on a
    /// thread named after the tool, not on the caller's thread.
    fn check_runtime(&self) {
        self.check_drivers();
        let (asked, name) = (self.settings.workers, self.worker_name());
        let total = self.sightings.len();
        if let Some(current) = self
            .sightings
            .iter()
            .find(|s| s.current_thread)
        {
            let on_caller = self
                .sightings
                .iter()
                .filter(|s| s.thread == self.caller)
                .count();
            panic!(
                "the probes ran on a current-thread runtime ({on_caller} of {total} on the \
                 caller's own thread, named {:?}): it has no worker threads at all, so the \
                 {asked} worker(s) named {name} the settings ask for never existed; build a \
                 multi-thread runtime",
                current.thread_name.as_deref().unwrap_or("(unnamed)")
            );
        }
        if let Some(other) = self.sightings.iter().find(|s| s.workers != asked) {
            panic!(
                "the runtime had {} worker thread(s) where settings.workers asked for {asked}: \
                 the worker count came from somewhere else (tokio's default is one per core); \
                 give the builder the count from the settings, on every call",
                other.workers
            );
        }
        let misnamed: Vec<_> = self
            .sightings
            .iter()
            .filter(|s| !s.thread_name.as_deref().unwrap_or("").starts_with(&name))
            .collect();
        if !misnamed.is_empty() {
            let on_caller = misnamed.iter().filter(|s| s.thread == self.caller).count();
            let seen: BTreeSet<_> = misnamed
                .iter()
                .map(|s| format!("{:?}", s.thread_name.as_deref().unwrap_or("(unnamed)")))
                .collect();
            let seen = seen.into_iter().collect::<Vec<_>>().join(", ");
            if on_caller > 0 {
                panic!(
                    "{on_caller} of {total} probe(s) ran on the caller's own thread (inside \
                     block_on), not as tasks on the runtime's workers: the future block_on \
                     runs stays on the thread that calls it; spawn each probe onto the runtime"
                );
            }
            panic!(
                "{} of {total} probe(s) ran on threads named {seen}, not {name}: the \
                 operators cannot tell the tool's threads apart; name the worker threads on \
                 the builder, from the settings",
                misnamed.len(),
            );
        }
    }

    /// The runtime was shut down: none of its worker threads is left.
    fn check_shut_down(&self) {
        let name = self.worker_name();
        let started = Instant::now();
        let mut left = threads_named(&name);
        while left > 0 && started.elapsed() < THREADS_GONE {
            thread::sleep(Duration::from_millis(5));
            left = threads_named(&name);
        }
        assert!(
            left == 0,
            "check_links returned, but {left} thread(s) named {name} were still alive {} ms \
             later: its runtime outlived the call (kept, leaked or shut down in the \
             background); let each call's runtime shut down before check_links returns",
            THREADS_GONE.as_millis()
        );
        if !self.shutdown.spawned.load(SeqCst) {
            return;
        }
        let started = Instant::now();
        let dropped = loop {
            let dropped = *self.shutdown.dropped_before_return.lock().unwrap();
            if dropped.is_some() || started.elapsed() > THREADS_GONE {
                break dropped;
            }
            thread::sleep(Duration::from_millis(5));
        };
        match dropped {
            Some(true) => {}
            Some(false) => panic!(
                "check_links returned before its runtime had shut down: a task the probes left \
                 on it was still being dropped after the call returned (a shutdown left to go on \
                 in the background); let each call's runtime shut down before check_links \
                 returns"
            ),
            None => panic!(
                "check_links returned, but its runtime never shut down: a task the probes left \
                 on it was still alive {} ms later (the runtime was kept or leaked); let each \
                 call's runtime shut down before check_links returns",
                THREADS_GONE.as_millis()
            ),
        }
    }

    fn check_report(&self, links: &[&str]) {
        let expected: Vec<(String, bool)> = links
            .iter()
            .map(|link| (link.to_string(), is_alive(link)))
            .collect();
        if self.report != expected && same_items(&self.report, &expected) {
            panic!(
                "check_links reported the links in the order their probes finished (the slower \
                 probes last), not in the order given: {:?}; keep each link's answer at its \
                 link's place",
                self.report.iter().map(|(link, _)| link).collect::<Vec<_>>()
            );
        }
        assert_eq!(
            self.report, expected,
            "check_links returned the wrong report: one (link, is_alive) per link, in the \
             order given, with the probe's answer"
        );
    }
}

/// Whether `a` and `b` hold the same items, in any order.
fn same_items<T: std::fmt::Debug>(a: &[T], b: &[T]) -> bool {
    let sorted = |items: &[T]| {
        let mut texts: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
        texts.sort();
        texts
    };
    sorted(a) == sorted(b)
}

const LINKS: [&str; 5] = [
    "https://up.example/docs",
    "https://down.example/",
    "https://up.example/blog",
    "https://gone.example/old",
    "https://up.example/docs",
];

#[test]
fn builds_the_runtime_the_settings_ask_for() {
    let call = call("lnk-a", 3, &LINKS);
    call.check_runtime();
    call.check_report(&LINKS);
}

#[test]
fn honours_other_settings_on_each_call() {
    for (name, workers) in [("lnk-b", 1), ("lnk-cd", 2)] {
        let call = call(name, workers, &LINKS[..3]);
        call.check_runtime();
        call.check_report(&LINKS[..3]);
        call.check_shut_down();
    }
}

#[test]
fn shuts_its_runtime_down_before_returning() {
    let call = call("lnk-e", 2, &LINKS);
    call.check_drivers();
    call.check_report(&LINKS);
    call.check_shut_down();
}

#[test]
fn reports_nothing_for_no_links() {
    let call = call("lnk-f", 2, &[]);
    assert!(
        call.report.is_empty(),
        "check_links reported {} link(s) when given none",
        call.report.len()
    );
    call.check_shut_down();
}
