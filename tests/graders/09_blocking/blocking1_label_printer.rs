use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use asynclings_grading::site::{Awaiter, Site, Stint, check_stints};

use crate::exercise::{Driver, Label, Receipt, print_labels};

/// How long the grader's driver waits, on its own thread, for another task of the runtime to
/// run. A runtime that is free answers within milliseconds (200 ms at the very worst on a loaded
/// 2-core machine); one whose thread the driver call holds never answers, so this is also the
/// stall a blocked runtime suffers in these checks.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_millis(2500);
const OWN_CHECK: &str = "the grader's heartbeat measures the stall and names where the driver ran";

const FIX: &str = "run each driver call on tokio's blocking pool and .await its result";
/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "print_labels never finished: the task waited for something that \
                              never came";
const ON_BLOCKED: &str = "print_labels blocked the runtime's thread and never gave it back: a \
                          driver call (or a wait for one) ran inside async code; run each driver \
                          call on tokio's blocking pool and .await its result";
const ON_BUSY: &str = "print_labels kept the runtime busy without finishing: a loop that yields \
                       or checks again instead of awaiting the driver call; .await the driver \
                       call's result";

#[derive(Clone, Copy, Debug)]
enum Flavour {
    CurrentThread,
    /// A multi-thread runtime with a single worker: a blocked worker cannot hide behind a
    /// second one that happens to run the other tasks.
    MultiThread,
}

// --- Where work ran, and whether the runtime went on meanwhile (local helpers) -------------

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
    run.allow_blocking(OWN_CHECK)
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .explain_panics(explain)
        .run(move || async move {
            let heartbeat = Heartbeat::start();
            let awaiter = Awaiter::default();
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

fn explain(message: &str) -> Option<String> {
    if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "print_labels called block_in_place, and on a current-thread runtime (the station's) \
             tokio panics on that: there is no other thread to hand the runtime's tasks to while \
             this one blocks; move the driver call to tokio's blocking pool instead, which works \
             on both kinds of runtime"
                .to_owned(),
        )
    } else if message.contains("runtime from within a runtime") {
        Some(
            "print_labels called block_on inside async code, and tokio panics on that: you are \
             already in a task, so .await instead of blocking on a future"
                .to_owned(),
        )
    } else {
        None
    }
}

// --- The grader's printer ------------------------------------------------------------------

/// The driver the grader hands out: each call waits (blocking its thread, like the vendor's
/// sleep) until another task of the runtime has run, and records where it ran.
struct Printer {
    heartbeat: Heartbeat,
    awaiter: Awaiter,
    /// Set after the first call during which the runtime stalled: later calls return at once,
    /// so a blocked runtime costs one `PATIENCE`, not one per label.
    stalled: AtomicBool,
    sheets: AtomicU32,
    /// Parcels in the order they went into the printer.
    fed: Mutex<Vec<u32>>,
    stints: Mutex<Vec<Stint>>,
    /// With `Some`, the first two labels wait here for each other: they only meet if two are
    /// in the printer at the same time.
    tray: Option<Arc<Rendezvous>>,
}

impl Printer {
    fn new(heartbeat: Heartbeat, awaiter: Awaiter, tray: Option<Arc<Rendezvous>>) -> Arc<Self> {
        Arc::new(Printer {
            heartbeat,
            awaiter,
            stalled: AtomicBool::new(false),
            sheets: AtomicU32::new(0),
            fed: Mutex::default(),
            stints: Mutex::default(),
            tray,
        })
    }

    fn driver(self: &Arc<Self>) -> Driver {
        let printer = Arc::clone(self);
        Arc::new(move |label| printer.print(label))
    }

    fn print(&self, label: Label) -> Receipt {
        self.fed.lock().unwrap().push(label.parcel);
        let site = self.awaiter.site_here();
        let started = Instant::now();
        let others_ran = match &self.tray {
            // The tray check is about order, not stalls: it waits for a second label instead.
            Some(tray) => {
                tray.arrive();
                true
            }
            None => {
                !self.stalled.load(Ordering::SeqCst) && self.heartbeat.answered_within(PATIENCE)
            }
        };
        if !others_ran {
            self.stalled.store(true, Ordering::SeqCst);
        }
        let held = started.elapsed();
        self.stints.lock().unwrap().push(Stint {
            site,
            others_ran,
            held,
        });
        let sheet = self.sheets.fetch_add(1, Ordering::SeqCst) + 1;
        Receipt {
            parcel: label.parcel,
            sheet,
        }
    }

    fn stints(&self) -> Vec<Stint> {
        self.stints.lock().unwrap().clone()
    }

    fn fed(&self) -> Vec<u32> {
        self.fed.lock().unwrap().clone()
    }
}

fn labels(parcels: &[u32]) -> Vec<Label> {
    parcels
        .iter()
        .map(|&parcel| Label {
            parcel,
            address: format!("{parcel} Quay Street"),
        })
        .collect()
}

/// What the printer hands back for these labels, printed in order: sheets 1, 2, 3...
fn receipts_in_order(parcels: &[u32]) -> Vec<Receipt> {
    parcels
        .iter()
        .zip(1..)
        .map(|(&parcel, sheet)| Receipt { parcel, sheet })
        .collect()
}

/// Prints `parcels` on a runtime of `flavour` and checks that other tasks ran during every
/// driver call, and that the receipts came back.
fn prints_without_stalling(flavour: Flavour, parcels: &'static [u32]) {
    let (stints, receipts) = run_task(flavour, move |heartbeat, awaiter| async move {
        let printer = Printer::new(heartbeat, awaiter, None);
        let receipts = print_labels(printer.driver(), labels(parcels)).await;
        (printer.stints(), receipts)
    });
    check_stints(&stints, "the printer driver", FIX).unwrap_or_else(|verdict| panic!("{verdict}"));
    let returned: Vec<u32> = receipts.iter().map(|r| r.parcel).collect();
    assert_eq!(
        returned, parcels,
        "print_labels returned the receipts of parcels {returned:?}, where it printed {parcels:?}: \
         one receipt per label, in the order of the labels"
    );
}

#[test]
fn other_tasks_run_while_the_printer_works() {
    prints_without_stalling(Flavour::CurrentThread, &[41, 42]);
}

#[test]
fn other_tasks_run_while_the_printer_works_on_a_multi_thread_runtime() {
    prints_without_stalling(Flavour::MultiThread, &[7, 19]);
}

#[test]
fn labels_go_in_one_at_a_time_in_order() {
    const PARCELS: &[u32] = &[3, 1, 2];
    let tray = Rendezvous::new(2, Duration::from_secs(1));
    let in_tray = Arc::clone(&tray);
    let (fed, receipts) = run_task(
        Flavour::CurrentThread,
        move |heartbeat, awaiter| async move {
            let printer = Printer::new(heartbeat, awaiter, Some(in_tray));
            let receipts = print_labels(printer.driver(), labels(PARCELS)).await;
            (printer.fed(), receipts)
        },
    );
    assert!(
        !tray.met(),
        "two labels were in the printer at the same time (it took parcels {fed:?}), but it has \
         a single tray: send the next label only once the previous one's receipt is back"
    );
    assert_eq!(
        fed, PARCELS,
        "the labels went into the printer in the order {fed:?}, not in the order given, \
         {PARCELS:?}"
    );
    assert_eq!(
        receipts,
        receipts_in_order(PARCELS),
        "print_labels should return one receipt per label, in the order of the labels"
    );
}

#[test]
fn an_empty_batch_prints_nothing() {
    let (fed, receipts) = run_task(Flavour::CurrentThread, |heartbeat, awaiter| async move {
        let printer = Printer::new(heartbeat, awaiter, None);
        let receipts = print_labels(printer.driver(), Vec::new()).await;
        (printer.fed(), receipts)
    });
    assert!(
        fed.is_empty() && receipts.is_empty(),
        "with no labels, nothing should go to the printer and no receipt come back (it \
         printed {fed:?} and returned {} receipt(s))",
        receipts.len()
    );
}
