use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use asynclings_grading::site::{Awaiter, Site, Stint, check_stints};
use tokio::runtime::RuntimeFlavor;

use crate::exercise::{Invoice, Pdf, build_runtime, render_all};

/// How long the grader's renderer computes while it waits for another task of the runtime to
/// run. A runtime that is free answers within milliseconds (200 ms at the very worst on a loaded
/// 2-core machine); one whose thread the renderer holds never answers, so this is also the stall
/// a blocked runtime suffers in these checks.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_millis(2500);

const FIX: &str = "let tokio move this worker's other tasks to another thread while the \
                   renderer runs here (it is borrowed, so it cannot move to a 'static task)";
/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "render_all never finished: the task waited for something that \
                              never came";
const ON_BLOCKED: &str = "render_all blocked the runtime's thread and never gave it back: \
                          rendering (or a wait for it) ran inside async code without letting \
                          tokio move the other tasks away";
const ON_BUSY: &str = "render_all kept the runtime busy without finishing: a loop that yields \
                       instead of rendering";

// --- Where work ran, and whether the runtime went on meanwhile (local helpers) -------------

/// Runs `check` as a task on the runtime `build_runtime(workers)` builds, beside a heartbeat
/// task, on a watched thread; tokio's panics become verdicts.
fn on_service_runtime<T, F>(
    workers: usize,
    check: impl FnOnce(Heartbeat, Awaiter) -> F + Send + 'static,
) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Watchdog::new(LIMIT, ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .run(move || {
            let runtime = build_runtime(workers);
            runtime.block_on(async move {
                let heartbeat = Heartbeat::start();
                let awaiter = Awaiter::default();
                let inside = awaiter.clone();
                let task = tokio::spawn(async move {
                    inside.enter();
                    check(heartbeat, inside).await
                });
                match task.await {
                    Ok(output) => output,
                    Err(error) => {
                        let payload = error.into_panic();
                        match explain(panic_message(&*payload)) {
                            Some(verdict) => panic!("{verdict}"),
                            None => std::panic::resume_unwind(payload),
                        }
                    }
                }
            })
        })
}

fn explain(message: &str) -> Option<String> {
    if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "render_all called block_in_place on the runtime build_runtime built, a \
             current-thread one, and tokio panics on that: block_in_place hands the worker's \
             other tasks to another thread, and a current-thread runtime has no other thread; \
             build the runtime with the worker threads the configuration asks for"
                .to_owned(),
        )
    } else if message.contains("runtime from within a runtime") {
        Some(
            "render_all called block_on inside async code, and tokio panics on that: you are \
             already in a task, so .await instead of blocking on a future"
                .to_owned(),
        )
    } else {
        None
    }
}

// --- The grader's renderer -----------------------------------------------------------------

/// The renderer the grader lends to `render_all`: each call computes (a CPU loop) until another
/// task of the runtime has run, and records where it ran.
struct PdfLibrary {
    heartbeat: Heartbeat,
    awaiter: Awaiter,
    /// Set after the first call during which the runtime stalled: later calls return at once,
    /// so a blocked runtime costs one `PATIENCE`, not one per invoice.
    stalled: AtomicBool,
    rendered: Mutex<Vec<u32>>,
    stints: Mutex<Vec<Stint>>,
}

impl PdfLibrary {
    fn new(heartbeat: Heartbeat, awaiter: Awaiter) -> Self {
        PdfLibrary {
            heartbeat,
            awaiter,
            stalled: AtomicBool::new(false),
            rendered: Mutex::default(),
            stints: Mutex::default(),
        }
    }

    fn render(&self, invoice: &Invoice) -> Pdf {
        self.rendered.lock().unwrap().push(invoice.number);
        let site = self.awaiter.site_here();
        let started = Instant::now();
        let others_ran = !self.stalled.load(Ordering::SeqCst) && {
            let answer = self.heartbeat.ping(PATIENCE);
            let mut state = u64::from(invoice.number);
            loop {
                for _ in 0..20_000 {
                    state = black_box(
                        state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1),
                    );
                }
                if answer.is_open() {
                    break true;
                }
                if started.elapsed() >= PATIENCE {
                    break false;
                }
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
        pdf_of(invoice)
    }

    fn stints(&self) -> Vec<Stint> {
        self.stints.lock().unwrap().clone()
    }

    fn rendered(&self) -> Vec<u32> {
        self.rendered.lock().unwrap().clone()
    }
}

fn pdf_of(invoice: &Invoice) -> Pdf {
    Pdf {
        invoice: invoice.number,
        bytes: format!(
            "%PDF invoice {} total {}",
            invoice.number, invoice.total_cents
        )
        .into_bytes(),
    }
}

fn invoices(numbers: &[u32]) -> Vec<Invoice> {
    numbers
        .iter()
        .map(|&number| Invoice {
            number,
            total_cents: u64::from(number) * 1_250 + 99,
        })
        .collect()
}

// --- The checks ------------------------------------------------------------------------------

#[test]
fn other_tasks_run_while_invoices_render_on_a_single_worker() {
    const NUMBERS: &[u32] = &[1041, 1042];
    let (stints, pdfs) = on_service_runtime(1, |heartbeat, awaiter| async move {
        let library = PdfLibrary::new(heartbeat, awaiter);
        let render = |invoice: &Invoice| library.render(invoice);
        let pdfs = render_all(&invoices(NUMBERS), &render).await;
        (library.stints(), pdfs)
    });
    check_stints(&stints, "rendering an invoice", FIX).unwrap_or_else(|v| panic!("{v}"));
    let expected: Vec<Pdf> = invoices(NUMBERS).iter().map(pdf_of).collect();
    assert_eq!(
        pdfs, expected,
        "render_all should return one PDF per invoice, in the order of the invoices"
    );
}

#[test]
fn the_runtime_has_the_workers_asked_for() {
    for workers in [3, 1] {
        let runtime = build_runtime(workers);
        assert!(
            runtime.handle().runtime_flavor() == RuntimeFlavor::MultiThread,
            "build_runtime({workers}) built a current-thread runtime, where a single thread \
             runs every task, but the service's configuration asks for {workers} worker \
             thread(s)"
        );
        let built = runtime.metrics().num_workers();
        assert!(
            built == workers,
            "build_runtime({workers}) built a runtime with {built} worker thread(s), not \
             {workers}: give it the number the configuration asks for"
        );
    }
}

/// Which of tokio's drivers a task on `runtime` can use: runs a timer and a socket pair on it.
/// A driver the runtime was built without makes tokio panic on first use; tokio's own message
/// names the builder call, so the probe keeps it off the learner's screen and says it in the
/// grader's words instead.
fn drivers_of(runtime: &tokio::runtime::Runtime) -> (bool, bool) {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let timer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    }))
    .is_ok();
    let io = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async { tokio::net::UnixStream::pair().is_ok() })
    }))
    .unwrap_or(false);
    std::panic::set_hook(quiet);
    (timer, io)
}

#[test]
fn the_runtime_runs_timers_and_io() {
    for workers in [2, 1] {
        let runtime = build_runtime(workers);
        let (timer, io) = drivers_of(&runtime);
        let missing = match (timer, io) {
            (true, true) => continue,
            (false, true) => "tokio's timer driver",
            (true, false) => "tokio's I/O driver",
            (false, false) => "tokio's timer and I/O drivers",
        };
        panic!(
            "build_runtime({workers}) built a runtime without {missing}: on it, the service's \
             health checks (a tokio::time::sleep, an interval) or its requests (a tokio socket) \
             panic at their first use; build the runtime with the drivers its tasks need, \
             timers and I/O"
        );
    }
}

#[test]
fn pdfs_come_back_in_the_order_of_the_invoices() {
    const NUMBERS: &[u32] = &[7, 2, 9];
    let (rendered, pdfs) = on_service_runtime(2, |heartbeat, awaiter| async move {
        let library = PdfLibrary::new(heartbeat, awaiter);
        let render = |invoice: &Invoice| library.render(invoice);
        let pdfs = render_all(&invoices(NUMBERS), &render).await;
        (library.rendered(), pdfs)
    });
    let mut sorted = rendered.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [2, 7, 9],
        "every invoice should be rendered exactly once (the renderer saw {rendered:?})"
    );
    let expected: Vec<Pdf> = invoices(NUMBERS).iter().map(pdf_of).collect();
    assert_eq!(
        pdfs, expected,
        "render_all should return one PDF per invoice, in the order of the invoices"
    );
}

#[test]
fn no_invoices_no_pdfs() {
    let (rendered, pdfs) = on_service_runtime(1, |heartbeat, awaiter| async move {
        let library = PdfLibrary::new(heartbeat, awaiter);
        let render = |invoice: &Invoice| library.render(invoice);
        let pdfs = render_all(&[], &render).await;
        (library.rendered(), pdfs)
    });
    assert!(
        rendered.is_empty() && pdfs.is_empty(),
        "with no invoices, nothing should be rendered and no PDF come back (rendered \
         {rendered:?}, returned {} PDF(s))",
        pdfs.len()
    );
}
