use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::{Analyser, Report, Summary, Supplier, compare_suppliers};

/// How long the grader's work waits for something that a correct program does within
/// milliseconds (another task of the runtime running, a second fetch or analysis starting
/// alongside). A program that gets it wrong waits this long, far above what a loaded 2-core
/// machine adds to a correct one.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check whose runtime is still busy after this long (real time) is stopped and named.
const LIMIT: Duration = Duration::from_secs(3);
/// Rayon's global pool, the same on every machine (each check runs in a process of its own).
const RAYON_THREADS: usize = 4;

/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "compare_suppliers never finished: it waited for a fetch or an \
                              analysis that never answered";
const ON_BLOCKED: &str = "compare_suppliers blocked the runtime's thread: it waited for the \
                          analyses (or ran them) inside async code; hand the catalogues to rayon \
                          and .await its answer";
const ON_BUSY: &str = "compare_suppliers kept the runtime busy without finishing: a loop that \
                       checks again or yields instead of awaiting the fetches and the analyses";

fn pool_of_known_size() {
    // Fails only if the pool already exists, which a fresh check process rules out.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(RAYON_THREADS)
        .build_global();
}

// --- The suppliers' servers (loopback TCP, run by the grader) -----------------------------

/// A supplier's catalogue: one `name,price_cents` line per item.
fn catalogue(supplier: usize, items: usize) -> String {
    (0..items)
        .map(|i| {
            format!(
                "item-{supplier}-{i},{}\n",
                150 + (supplier * 37 + i * 13) % 900
            )
        })
        .collect()
}

/// What the grader's statistics library makes of a catalogue.
fn summarise(text: &str) -> Summary {
    let prices = text
        .lines()
        .filter_map(|line| line.split_once(',')?.1.parse::<u64>().ok());
    let (items, cheapest) = prices.fold((0, u64::MAX), |(n, low), p| (n + 1, low.min(p)));
    Summary {
        items,
        cheapest_cents: if items == 0 { 0 } else { cheapest },
    }
}

/// How a server answers, and what it does before and after.
struct Server {
    answer: String,
    /// Runs once a request has been accepted, before the answer is sent.
    before: Box<dyn Fn() + Send>,
    /// Runs once the answer is sent and the fetch is over (the client closed its end).
    after: Box<dyn Fn() + Send>,
}

impl Server {
    fn answering(answer: String) -> Self {
        Server {
            answer,
            before: Box::new(|| {}),
            after: Box::new(|| {}),
        }
    }

    /// Listens on a loopback port of its own, on a thread of its own; answers every request.
    fn start(self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the grader could not listen");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                (self.before)();
                let _ = stream.write_all(self.answer.as_bytes());
                // End the answer, then wait for the client to close its end: fetch_catalogue
                // drops its stream as it returns, so from then on that fetch is over (on the
                // check's one runtime thread, its task finished in the same poll).
                let _ = stream.shutdown(Shutdown::Write);
                let _ = stream.set_read_timeout(Some(PATIENCE));
                let mut rest = [0u8; 256];
                while matches!(stream.read(&mut rest), Ok(read) if read > 0) {}
                drop(stream);
                (self.after)();
            }
        });
        addr
    }
}

fn supplier(name: &str, addr: SocketAddr) -> Supplier {
    Supplier {
        name: name.to_owned(),
        addr,
    }
}

/// What a supplier's report must say: the summary of its catalogue, or that its server answered
/// this status instead.
#[derive(Clone, Debug)]
enum Expected {
    Summary(Summary),
    Down(&'static str),
}

impl Expected {
    fn answer(&self, text: &str) -> String {
        match self {
            Expected::Summary(_) => format!("200 OK\n{text}"),
            Expected::Down(status) => format!("{status}\n"),
        }
    }

    /// Whether `summary` is what this supplier's report must hold (an `Err` must keep the
    /// server's answer, the reason).
    fn is_met_by(&self, summary: &Result<Summary, String>) -> bool {
        match (self, summary) {
            (Expected::Summary(expected), Ok(got)) => got == expected,
            (Expected::Down(status), Err(why)) => why.contains(status),
            _ => false,
        }
    }
}

/// The suppliers' servers, which finish their fetches in an order the grader forces: each
/// answers only once every supplier's request is in (all of them meet), and then only after
/// the next supplier's fetch is over (its client closed the connection), so the fetches finish
/// last supplier first, on every run. A
/// program that asks one server at a time never gets them all to meet; then each answers as it
/// is asked (after the first has waited `PATIENCE` for the others).
struct Lineup {
    suppliers: Vec<Supplier>,
    expected: Vec<Expected>,
    meeting: Arc<Rendezvous>,
    /// How many requests had come in when the first server gave up waiting for the others.
    missed: Arc<Mutex<Option<usize>>>,
}

impl Lineup {
    /// A server per supplier: `down` lists the suppliers (by index) whose server answers with
    /// that status instead of a catalogue.
    fn start(names: &[&str], down: &[(usize, &'static str)]) -> Self {
        let meeting = Rendezvous::new(names.len(), PATIENCE);
        let accepted = Arc::new(AtomicUsize::new(0));
        let missed = Arc::new(Mutex::new(None::<usize>));
        let answered: Vec<Arc<Gate>> = names.iter().map(|_| Gate::new(PATIENCE)).collect();
        let mut suppliers = Vec::new();
        let mut expected = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let text = catalogue(i, 20 + 7 * i);
            let wanted = match down.iter().find(|(at, _)| *at == i) {
                Some(&(_, status)) => Expected::Down(status),
                None => Expected::Summary(summarise(&text)),
            };
            let mut server = Server::answering(wanted.answer(&text));
            let (meeting, accepted, missed) = (meeting.clone(), accepted.clone(), missed.clone());
            let next = answered.get(i + 1).cloned();
            server.before = Box::new(move || {
                accepted.fetch_add(1, Ordering::SeqCst);
                meeting.arrive();
                if meeting.met() {
                    if let Some(next) = &next {
                        next.wait();
                    }
                } else {
                    let mut missed = missed.lock().unwrap_or_else(|e| e.into_inner());
                    missed.get_or_insert(accepted.load(Ordering::SeqCst) - 1);
                }
            });
            let done = Arc::clone(&answered[i]);
            server.after = Box::new(move || done.open());
            suppliers.push(supplier(name, server.start()));
            expected.push(wanted);
        }
        Lineup {
            suppliers,
            expected,
            meeting,
            missed,
        }
    }

    /// Healthy suppliers only.
    fn healthy(names: &[&str]) -> Self {
        Self::start(names, &[])
    }

    /// The suppliers, for `compare_suppliers`; the rest stays with the grader.
    fn take_suppliers(&mut self) -> Vec<Supplier> {
        std::mem::take(&mut self.suppliers)
    }

    /// Whether every request came in before any server answered, so that the fetches finished
    /// in the order the grader forced.
    fn forced_the_order(&self) -> bool {
        self.meeting.met()
    }

    fn missed(&self) -> usize {
        self.missed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or(0)
    }
}

/// `Some(verdict)` if the reports hold the fetches' results in the order the fetches finished
/// (last supplier first, as the grader's servers forced) rather than each supplier's own.
fn finishing_order_verdict(reports: &[Report], names: &[&str], lineup: &Lineup) -> Option<String> {
    if !lineup.forced_the_order() {
        return None;
    }
    // The supplier whose fetch finished in place `i` (from 0).
    let finished_in = |i: usize| names.len().checked_sub(i + 1);
    let (i, report) = reports.iter().enumerate().find(|&(i, report)| {
        let Some(finished_then) = finished_in(i) else {
            return false;
        };
        finished_then != i
            && lineup.expected[finished_then].is_met_by(&report.summary)
            && !lineup.expected[i].is_met_by(&report.summary)
    })?;
    let finished_then = finished_in(i)?;
    let order: Vec<&str> = names.iter().rev().copied().collect();
    Some(format!(
        "paired the fetches' results with the suppliers in the order the fetches finished: the \
         grader's servers answered last supplier first ({}), and the report of `{}` got the \
         result of `{}`, whose fetch finished {}; keep each result with its own supplier, \
         whatever order the fetches finish in",
        order.join(", "),
        report.supplier,
        names[finished_then],
        ["first", "second", "third", "fourth", "fifth"]
            .get(i)
            .copied()
            .unwrap_or("later")
    ))
}

/// Reports of healthy suppliers: one per supplier, in order, each with its own summary.
fn check_reports(reports: &[Report], names: &[&str], lineup: &Lineup) {
    let got: Vec<&str> = reports.iter().map(|r| r.supplier.as_str()).collect();
    assert!(
        got == names,
        "returned reports for {got:?} where the suppliers were {names:?}: one report per \
         supplier, in the order the suppliers were given (not the order the fetches finished)"
    );
    if let Some(verdict) = finishing_order_verdict(reports, names, lineup) {
        panic!("{verdict}");
    }
    for (report, expected) in reports.iter().zip(&lineup.expected) {
        let Expected::Summary(expected) = expected else {
            continue;
        };
        match &report.summary {
            Ok(summary) => assert!(
                summary == expected,
                "the report of `{}` has the summary {summary:?}, but its own catalogue gives \
                 {expected:?}: each supplier's summary must come from that supplier's catalogue",
                report.supplier
            ),
            Err(why) => panic!(
                "the report of `{}` says its fetch failed ({why}), but its server answered \
                 `200 OK` with {} items: report an error only for a fetch that failed",
                report.supplier, expected.items
            ),
        }
    }
}

// --- A heartbeat: does the runtime run another task while the analysis runs? -------------

/// Where one analysis ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    Rayon,
    Runtime,
    Elsewhere,
}

/// One call of the grader's analysis.
#[derive(Clone, Copy, Debug)]
struct Analysis {
    site: Site,
    /// Whether the runtime ran another task while it ran (`None`: not asked, the runtime had
    /// already been seen stalling).
    runtime_ran: Option<bool>,
    held: Duration,
}

/// The grader's statistics library for the stall checks: each analysis asks the runtime's
/// heartbeat to run and waits for it; on the runtime's own thread it computes for
/// `PATIENCE` instead (the analysis is CPU work), once.
#[derive(Clone)]
struct Watched {
    analyses: Arc<Mutex<Vec<Analysis>>>,
    stalled: Arc<AtomicBool>,
}

impl Watched {
    fn new() -> Self {
        Watched {
            analyses: Arc::default(),
            stalled: Arc::default(),
        }
    }

    fn analyser(&self, heartbeat: Heartbeat) -> Analyser {
        let watched = self.clone();
        Arc::new(move |text: &str| {
            let started = Instant::now();
            let site = if rayon::current_thread_index().is_some() {
                Site::Rayon
            } else if heartbeat.ran_on_this_thread() {
                Site::Runtime
            } else {
                Site::Elsewhere
            };
            let summary = summarise(text);
            let runtime_ran = if site == Site::Runtime {
                if !watched.stalled.swap(true, Ordering::SeqCst) {
                    spin_for(PATIENCE);
                }
                Some(false)
            } else if watched.stalled.load(Ordering::SeqCst) {
                None
            } else {
                let ran = heartbeat.answered_within(PATIENCE);
                if !ran {
                    watched.stalled.store(true, Ordering::SeqCst);
                }
                Some(ran)
            };
            let analysis = Analysis {
                site,
                runtime_ran,
                held: started.elapsed(),
            };
            watched
                .analyses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(analysis);
            summary
        })
    }

    /// `Err(verdict)` if an analysis held the runtime, or ran while the runtime sat waiting.
    fn check(&self, runtime: &str) -> Result<(), String> {
        let analyses = self
            .analyses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let on_runtime: Vec<&Analysis> = analyses
            .iter()
            .filter(|a| a.site == Site::Runtime)
            .collect();
        if let Some(longest) = on_runtime.iter().map(|a| a.held).max() {
            return Err(format!(
                "the catalogues were analysed on the runtime's own thread ({} of {}, {runtime}), \
                 and that stalled the runtime for {} ms: another task, ready the whole time, \
                 could not run; hand the analysis to rayon's pool and only .await its result",
                on_runtime.len(),
                analyses.len(),
                longest.as_millis()
            ));
        }
        let Some(stall) = analyses.iter().find(|a| a.runtime_ran == Some(false)) else {
            return Ok(());
        };
        let held = stall.held.as_millis();
        Err(match stall.site {
            Site::Rayon => format!(
                "par_iter ran on a tokio worker and stalled the runtime for {held} ms \
                 ({runtime}): the catalogues were analysed on rayon's threads, but the task's \
                 own thread sat waiting for them (par_iter and ThreadPool::install block their \
                 caller until rayon is done, and so does a blocking wait for rayon's answer), so \
                 another task, ready the whole time, could not run; let rayon work in the \
                 background and .await its answer"
            ),
            _ => format!(
                "the analysis ran on another thread, but the runtime's thread waited for it \
                 without .await for {held} ms ({runtime}), so another task, ready the whole \
                 time, could not run; .await the analysis's answer instead of blocking on it"
            ),
        })
    }
}

/// Busy on the CPU for `how_long`: the analysis a wrong program runs on the runtime's thread.
fn spin_for(how_long: Duration) {
    let until = Instant::now() + how_long;
    let mut x = 1u64;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

fn analyser_of(analyse: impl Fn(&str) -> Summary + Send + Sync + 'static) -> Analyser {
    Arc::new(analyse)
}

// --- A runtime for checks that measure blocking themselves ---------------------------------

/// Which runtime a check runs its future on.
#[derive(Clone, Copy)]
enum Flavour {
    CurrentThread,
    /// A multi-thread runtime with this many workers.
    MultiThread(usize),
}

/// A real-clock runtime of `flavour`, worded for this exercise.
fn runtime(flavour: Flavour) -> Run {
    let run = real_clock()
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY);
    match flavour {
        Flavour::CurrentThread => run,
        Flavour::MultiThread(workers) => run.multi_thread(workers),
    }
}

/// Why the checks that provoke blocking opt out of `Run`'s own verdict on it.
const OWN_CHECK: &str = "the grader's heartbeat measures how long the runtime stalled while the \
                         catalogues were analysed, and Placement names where the analysis ran";

// --- The checks --------------------------------------------------------------------------

#[test]
fn requests_every_catalogue_at_once() {
    const NAMES: [&str; 3] = ["north", "east", "south"];
    pool_of_known_size();
    let mut lineup = Lineup::healthy(&NAMES);
    let suppliers = lineup.take_suppliers();

    let reports = real_clock()
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .run(move || compare_suppliers(suppliers, analyser_of(summarise)));

    if !lineup.forced_the_order() {
        let came = match lineup.missed() {
            0 => "none came".to_owned(),
            n => format!("only {n} came"),
        };
        panic!(
            "requested the catalogues one after another: the first supplier's server held its \
             answer {} s for the other {} requests, and {came} in meanwhile; start every fetch \
             before awaiting any of them",
            PATIENCE.as_secs_f64(),
            NAMES.len() - 1
        );
    }
    check_reports(&reports, &NAMES, &lineup);
}

#[test]
fn a_supplier_that_is_down_gets_an_error_and_the_others_their_summary() {
    const NAMES: [&str; 4] = ["north", "east", "south", "west"];
    const DOWN: [(usize, &str); 2] = [(1, "503 down for maintenance"), (3, "500 database error")];
    pool_of_known_size();
    let mut lineup = Lineup::start(&NAMES, &DOWN);
    let suppliers = lineup.take_suppliers();
    let healthy = NAMES.len() - DOWN.len();

    let panics = TaskPanics::new();
    let watching = panics.clone();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        real_clock()
            .limit(LIMIT)
            .on_never_woken(ON_NEVER_WOKEN)
            .on_blocked(ON_BLOCKED)
            .on_busy(ON_BUSY)
            .allow_task_panics()
            .run(move || async move {
                let _watching = watching.watch_this_thread();
                compare_suppliers(suppliers, analyser_of(summarise)).await
            })
    }));
    // Name the first supplier that is down whose task panicked (the tasks panic in any order).
    let recorded = panics.recorded();
    let named = DOWN.iter().find_map(|&(i, status)| {
        let panic = recorded.iter().find(|p| p.message.contains(status))?;
        Some((i, status, panic.clone()))
    });
    let (down_at, down_status) = named
        .as_ref()
        .map_or(DOWN[0], |&(i, status, _)| (i, status));
    let task_panic = named
        .map(|(_, _, panic)| panic)
        .or(recorded.into_iter().next());
    let down = format!("`{}` (its server answered `{down_status}`)", NAMES[down_at]);
    let reports = match (outcome, task_panic) {
        (Err(_), Some(task_panic)) => panic!(
            "one failed source panicked its fetch task and the other results were lost: {down} \
             panicked its task ({task_panic}); the panic came back out of its JoinHandle and \
             ended compare_suppliers, so none of the {healthy} healthy suppliers got a report; a \
             fetch that fails is an ordinary outcome: keep it as that supplier's Err and let \
             the other reports through"
        ),
        (Err(payload), None) => {
            // Only a panic that carries a failed server's answer came from that failure;
            // anything else (a tokio call that panics on this runtime, say) fails this check for
            // its own reason, as it does every other check.
            let message = panic_message(&*payload);
            if !DOWN.iter().any(|(_, status)| message.contains(status)) {
                std::panic::resume_unwind(payload);
            }
            panic!(
                "one failed source made compare_suppliers panic and the other results were \
                 lost: {down} ended the whole comparison (\"{message}\"), and none of the \
                 {healthy} healthy suppliers got a report; keep a failed fetch as that \
                 supplier's Err and let the other reports through"
            )
        }
        (Ok(_), Some(task_panic)) => panic!(
            "a failed supplier still panicked its fetch task: {down} panicked ({task_panic}), \
             and the report was made from the JoinError; a supplier that is down is an \
             expected outcome, not a bug: let the task return the fetch's error instead of \
             unwrapping it"
        ),
        (Ok(reports), None) => reports,
    };

    let got: Vec<&str> = reports.iter().map(|r| r.supplier.as_str()).collect();
    assert!(
        got == NAMES,
        "returned reports for {got:?} where the suppliers were {NAMES:?}: one report per \
         supplier, the failed ones included, in the order the suppliers were given"
    );
    if let Some(verdict) = finishing_order_verdict(&reports, &NAMES, &lineup) {
        panic!("{verdict}");
    }
    for (i, status) in DOWN {
        match &reports[i].summary {
            Err(why) if why.contains(status) => {}
            Err(why) => panic!(
                "the report of `{}` is an Err that does not say why the fetch failed: it says \
                 \"{why}\", but its server answered `{status}`, and fetch_catalogue's Err said \
                 so; keep the fetch's own error, the reason, in the supplier's report",
                NAMES[i]
            ),
            Ok(summary) => panic!(
                "the report of `{}` has a summary ({summary:?}), but its server answered \
                 `{status}` and sent no catalogue: a failed fetch must be that supplier's Err",
                NAMES[i]
            ),
        }
    }
    for (i, expected) in lineup.expected.iter().enumerate() {
        let Expected::Summary(summary) = expected else {
            continue;
        };
        match &reports[i].summary {
            Ok(got) if got == summary => {}
            Ok(got) => panic!(
                "the report of `{}` has the summary {got:?}, but its own catalogue gives \
                 {summary:?}: each supplier's summary must come from that supplier's catalogue",
                NAMES[i]
            ),
            Err(why) => panic!(
                "the report of `{}` says its fetch failed ({why}), but its server answered \
                 `200 OK`: only the suppliers that are down may get an Err",
                NAMES[i]
            ),
        }
    }
}

#[test]
fn analyses_on_rayon_while_the_runtime_keeps_running() {
    const NAMES: [&str; 3] = ["north", "east", "south"];
    pool_of_known_size();

    // A current-thread runtime: compare_suppliers runs on its only thread.
    let mut lineup = Lineup::healthy(&NAMES);
    let suppliers = lineup.take_suppliers();
    let watched = Watched::new();
    let analyses = watched.clone();
    let reports = runtime(Flavour::CurrentThread)
        .allow_blocking(OWN_CHECK)
        .run(move || async move {
            let heartbeat = Heartbeat::started().await;
            compare_suppliers(suppliers, analyses.analyser(heartbeat)).await
        });
    watched
        .check("on a current-thread runtime")
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    check_reports(&reports, &NAMES, &lineup);

    // A multi-thread runtime with one worker (`#[tokio::main]` gives one per core), where
    // compare_suppliers runs as a spawned task, as a server's request handler does.
    let mut lineup = Lineup::healthy(&NAMES);
    let suppliers = lineup.take_suppliers();
    let watched = Watched::new();
    let analyses = watched.clone();
    let reports = runtime(Flavour::MultiThread(1))
        .allow_blocking(OWN_CHECK)
        .run_spawned(move || async move {
            let heartbeat = Heartbeat::started().await;
            compare_suppliers(suppliers, analyses.analyser(heartbeat)).await
        });
    watched
        .check("on a worker of a multi-thread runtime")
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    check_reports(&reports, &NAMES, &lineup);
}

#[test]
fn analyses_several_catalogues_at_once_on_rayon() {
    const NAMES: [&str; 4] = ["north", "east", "south", "west"];
    pool_of_known_size();
    let mut lineup = Lineup::healthy(&NAMES);
    let suppliers = lineup.take_suppliers();
    // The first two analyses wait for each other: they only meet if two run at the same time.
    let meeting = Rendezvous::new(2, PATIENCE);
    let at_meeting = Arc::clone(&meeting);
    let (placement, reports) = runtime(Flavour::CurrentThread)
        .allow_blocking(OWN_CHECK)
        .run(move || async move {
            let placement = Placement::new();
            let recorder = placement.clone();
            let runtime_thread = thread::current().id();
            let spun = AtomicBool::new(false);
            let analyse = analyser_of(move |text| {
                recorder.record(|| {
                    if rayon::current_thread_index().is_some() {
                        at_meeting.arrive();
                    } else if thread::current().id() == runtime_thread
                        && !spun.swap(true, Ordering::SeqCst)
                    {
                        // The analysis is CPU work: this is how long it holds the runtime.
                        spin_for(PATIENCE);
                    }
                    summarise(text)
                })
            });
            let reports = compare_suppliers(suppliers, analyse).await;
            (placement, reports)
        });
    placement
        .check_on_rayon(
            "CPU work belongs on rayon's pool: hand the catalogues to it and .await its answer",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    let threads = placement.rayon_threads().len();
    assert!(
        meeting.met(),
        "analysed one catalogue at a time: on rayon's pool of {RAYON_THREADS} threads, the \
         first analysis waited {} s for a second one to run alongside it, and none did (all {} \
         ran on {threads} thread(s)); let rayon split the catalogues between its threads",
        PATIENCE.as_secs_f64(),
        NAMES.len()
    );
    check_reports(&reports, &NAMES, &lineup);
}

#[test]
fn no_suppliers_no_reports() {
    pool_of_known_size();
    let reports = real_clock()
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .run(|| compare_suppliers(Vec::new(), analyser_of(summarise)));
    assert!(
        reports.is_empty(),
        "returned {} report(s) for no suppliers at all: no suppliers, no reports",
        reports.len()
    );
}
