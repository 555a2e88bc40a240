//! Grades `start_listening`: it is called from async code on a service runtime (current-thread,
//! or multi-thread as a spawned task), then the grader's "SDK reader threads" (plain threads)
//! deliver scans through the SDK. The grader's `record` finds out which runtime it runs on by
//! spawning a probe onto the current runtime: the probe runs on the service runtime's threads
//! (`Placement` says `Runtime`) only if that runtime is the service's. A `record` polled with no
//! runtime at all says so instead of panicking, so any panic on a reader thread is the
//! callback's own.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use asynclings_grading::parallel::ThreadKind;
use asynclings_grading::prelude::*;
use tokio::runtime::Handle;
use tokio::sync::{oneshot, watch};

use crate::exercise::{Scan, Scanner, start_listening};

/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_secs(3);
/// How long the check waits for the recordings once every scan was delivered (real time; they
/// take milliseconds).
const PATIENCE: Duration = Duration::from_secs(1);

/// How one recording went.
#[derive(Clone, Debug)]
enum Recorded {
    /// On some runtime; `kind` says where a task spawned from `record` ran.
    OnRuntime { scan: Scan, kind: ThreadKind },
    /// Polled where there was no tokio runtime at all.
    NoRuntime { scan: Scan },
}

/// The grader's inventory database.
#[derive(Clone)]
struct Inventory {
    log: Arc<Mutex<Vec<Recorded>>>,
    count: Arc<watch::Sender<usize>>,
    placement: Placement,
}

impl Inventory {
    /// Made inside the service's runtime, on its thread.
    fn new() -> Self {
        Inventory {
            log: Arc::default(),
            count: Arc::new(watch::Sender::new(0)),
            placement: Placement::new(),
        }
    }

    fn note(&self, recorded: Recorded) {
        self.log.lock().unwrap().push(recorded);
        self.count.send_modify(|count| *count += 1);
    }

    /// The `record` handed to `start_listening`: a 2 ms write on tokio's timer.
    fn record(&self) -> impl Fn(Scan) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static {
        let inventory = self.clone();
        move |scan| {
            let inventory = inventory.clone();
            Box::pin(async move {
                if Handle::try_current().is_err() {
                    inventory.note(Recorded::NoRuntime { scan });
                    return;
                }
                let placement = inventory.placement.clone();
                let probe = tokio::spawn(async move {
                    placement.record(|| ());
                });
                tokio::time::sleep(Duration::from_millis(2)).await;
                let _ = probe.await;
                let kind = inventory
                    .placement
                    .calls()
                    .last()
                    .map_or(ThreadKind::Other, |call| call.kind);
                inventory.note(Recorded::OnRuntime { scan, kind });
            })
        }
    }
}

/// How the verdict for scans that never reached `record` begins (how many did depends on
/// the learner's race, so the verdict does not say).
const SCANS_LOST: &str = "some scans were never recorded";

/// How the verdict for a panicking callback begins.
const CALLBACK_PANICKED: &str = "the scan callback panicked on the SDK's reader thread";

/// What happened on one reader thread.
type Delivered = Result<(), String>;

/// Starts one SDK reader thread that delivers `scans`; its outcome comes back on the receiver.
fn reader(scanner: &Arc<Scanner>, scans: Vec<Scan>) -> oneshot::Receiver<Delivered> {
    let (done, outcome) = oneshot::channel();
    let scanner = Arc::clone(scanner);
    thread::spawn(move || {
        let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for scan in scans {
                scanner.deliver(scan);
            }
        }));
        let _ = done.send(delivered.map_err(|panic| panic_message(&*panic).to_owned()));
    });
    outcome
}

fn scans(scanner: u32, barcodes: &[&str]) -> Vec<Scan> {
    barcodes
        .iter()
        .map(|barcode| Scan {
            scanner,
            barcode: barcode.to_string(),
        })
        .collect()
}

/// On a service runtime, calls `start_listening`, delivers each batch of scans from a reader
/// thread of its own, and waits until every scan was recorded; returns the recordings.
async fn listen_and_scan(batches: Vec<Vec<Scan>>) -> Vec<Recorded> {
    let inventory = Inventory::new();
    let scanner = Arc::new(Scanner::default());
    start_listening(&scanner, inventory.record());
    // Whatever start_listening spawned gets its first turn before this task goes on (a
    // current-thread runtime runs tasks in the order they were spawned), so a listener that
    // blocks its thread does so on every run, scans or not.
    let _ = tokio::spawn(async {}).await;
    let expected: usize = batches.iter().map(Vec::len).sum();
    let readers: Vec<_> = batches.into_iter().map(|scans| reader(&scanner, scans)).collect();
    for outcome in readers {
        if let Ok(Err(message)) = outcome.await {
            let said = message.split(", must").next().unwrap_or(&message);
            panic!(
                "{CALLBACK_PANICKED} (\"{said}\"): that thread \
                 is a plain std::thread, not one of the runtime's, so nothing there knows which \
                 runtime to use; get hold of the service's runtime while start_listening runs \
                 on it, and hand that to the callback"
            );
        }
    }
    // Every reader is done: each scan was handed to the callback. A recording takes
    // milliseconds; one that has not come after `PATIENCE` was dropped on the way.
    let mut count = inventory.count.subscribe();
    let arrived = count.wait_for(|recorded| *recorded >= expected);
    if tokio::time::timeout(PATIENCE, arrived).await.is_err() {
        panic!(
            "{SCANS_LOST}: of the {expected} scan(s) the SDK delivered, not all had reached \
             record {} s after the last delivery (dropped in the callback, or lost on the way \
             to the runtime); every scan must be recorded",
            PATIENCE.as_secs()
        );
    }
    let recorded = inventory.log.lock().unwrap().clone();
    recorded
}

fn check(recorded: &[Recorded], delivered: &[Vec<Scan>]) {
    let total = recorded.len();
    let no_runtime = recorded
        .iter()
        .filter(|r| matches!(r, Recorded::NoRuntime { .. }))
        .count();
    assert!(
        no_runtime == 0,
        "{no_runtime} of {total} recording(s) were polled with no tokio runtime at all (another \
         executor, on the SDK's thread): record's timers and sockets belong to the service's \
         runtime and panic anywhere else; have the service's runtime run record"
    );
    let elsewhere = recorded
        .iter()
        .filter(|r| matches!(r, Recorded::OnRuntime { kind, .. } if *kind != ThreadKind::Runtime))
        .count();
    assert!(
        elsewhere == 0,
        "{elsewhere} of {total} recording(s) ran on a runtime other than the service's (one \
         built in the callback, or on a thread of its own): the database's connections live on \
         the service's runtime, and every scan paid for a runtime; use the service's runtime \
         from the callback"
    );
    let mut seen: Vec<Scan> = recorded
        .iter()
        .map(|r| match r {
            Recorded::OnRuntime { scan, .. } | Recorded::NoRuntime { scan } => scan.clone(),
        })
        .collect();
    let mut expected: Vec<Scan> = delivered.iter().flatten().cloned().collect();
    seen.sort();
    expected.sort();
    assert_eq!(
        seen, expected,
        "the inventory recorded the wrong scans: every scan the SDK delivers, exactly once"
    );
}

const ON_BLOCKED: &str = "a task of the service's runtime blocked its thread (waiting for scans \
    from the SDK in a blocking call?), and the runtime's other tasks could not run: wait for \
    scans in a way that suspends the task, not the thread";

fn on_service(run: Run, spawned: bool, batches: Vec<Vec<Scan>>) -> Vec<Recorded> {
    let run = run
        .limit(LIMIT)
        .on_blocked(ON_BLOCKED)
        // The grader's own verdicts (one quotes tokio's panic): keep them as they are.
        .explain_panics(|message| {
            (message.starts_with(CALLBACK_PANICKED) || message.starts_with(SCANS_LOST))
                .then(|| message.to_owned())
        })
        .on_never_woken(
            "some scans were never recorded: the callback handed them to something that never \
             ran them",
        );
    if spawned {
        run.run_spawned(move || listen_and_scan(batches))
    } else {
        run.run(move || listen_and_scan(batches))
    }
}

#[test]
fn records_scans_on_a_current_thread_service() {
    let batches = vec![scans(7, &["4006381333931", "9780201633610", "4006381333931"])];
    let recorded = on_service(real_clock(), false, batches.clone());
    check(&recorded, &batches);
}

#[test]
fn records_scans_from_two_readers_on_a_multi_thread_service() {
    let batches = vec![
        scans(1, &["5012345678900", "0036000291452"]),
        scans(42, &["9781492052593", "5012345678900", "0012345678905"]),
    ];
    let recorded = on_service(real_clock().multi_thread(2), true, batches.clone());
    check(&recorded, &batches);
}

#[test]
fn records_nothing_without_scans() {
    let recorded = on_service(real_clock(), false, vec![Vec::new()]);
    assert!(
        recorded.is_empty(),
        "the inventory recorded {} scan(s) when nothing was scanned",
        recorded.len()
    );
}
