use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::parallel::ThreadKind;
use asynclings_grading::prelude::*;

use crate::exercise::{Point, Quote, redraw_chart};

/// How long the grader's probe tasks get to run while the chart is being plotted. A free
/// runtime runs a spawned task within milliseconds, even on a loaded machine (the largest gap
/// measured there is 200 ms); a runtime whose thread waits for the plotting cannot run it at
/// all until the plotting is over, and the plotting waits for the probe: the two never meet.
const PATIENCE: Duration = Duration::from_millis(1500);
/// How long the plotting waits for the probe's answer: a little more than the probe's own
/// patience, so that on a multi-thread runtime the rendezvous of its tasks decides.
const ASKER_WAITS: Duration = Duration::from_millis(2000);
/// The whole check, on a watched thread.
const LIMIT: Duration = Duration::from_secs(6);
/// How long the grader holds quote 0 back, waiting for the last quote to be plotted. A batch
/// plotted in parallel plots the last quote on another thread within milliseconds; one plotted
/// in a single run of calls cannot, and goes ahead after this long.
const HOLD: Duration = Duration::from_secs(2);
/// Names of the global pool's threads (the grader builds it), so a plot knows where it ran.
const GLOBAL_POOL: &str = "rayon-global-";

const FIX: &str = "keep the plotting on rayon's pool, but let this task await the points \
                   instead of holding its thread until they are done";

/// Rayon's global pool with a known size and named threads (each check runs in its own
/// process, so this is the first use of the global pool, and the settings stick).
fn two_thread_global_pool() {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("{GLOBAL_POOL}{i}"))
        .build_global();
}

fn quotes(first_seq: u64, count: usize) -> Vec<Quote> {
    (0..count as u64)
        .map(|i| Quote {
            seq: first_seq + i,
            cents: 10_000 + ((i * 7_919) % 613) as i64 - 300,
        })
        .collect()
}

/// The grader's plotting: a fixed mapping, so the points can be checked.
fn chart_point(quote: &Quote) -> Point {
    Point {
        x: quote.seq as i64 * 4,
        y: 20_000 - quote.cents,
    }
}

#[derive(Clone, Copy, Debug)]
enum Flavor {
    CurrentThread,
    MultiThread { workers: usize },
}

impl Flavor {
    fn workers(self) -> usize {
        match self {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread { workers } => workers,
        }
    }
}

/// Runs the future `make` returns as a spawned task (so that on a multi-thread runtime it runs
/// on a worker, as in a server, not on the thread calling `block_on`) of a fresh real-clock
/// runtime of `flavor`, under `Run`'s watchdog. The grader's probe tasks measure how long the
/// runtime was held and word it, so `Run`'s own blocking verdict is left out. tokio's panics for
/// `block_in_place` on a current-thread runtime and for a blocking wait inside async code are
/// worded as verdicts.
fn on_runtime<M, F, T>(flavor: Flavor, make: M) -> T
where
    M: FnOnce() -> F + Send + 'static,
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let run = real_clock()
        .limit(LIMIT)
        .on_never_woken(
            "redraw_chart never finished: the task waiting for the chart was never woken, or \
             the plotting never ended",
        )
        .on_blocked(&format!(
            "redraw_chart held the runtime's thread and never gave it back: it waited for the \
             points inside async code; {FIX}"
        ))
        .on_busy(
            "redraw_chart kept the runtime busy without finishing: a loop that checks again or \
             yields instead of awaiting the points",
        )
        .allow_blocking("the grader's probe tasks measure how long the runtime was held")
        .explain_panics(|message| {
            Some(
                if message.contains("only when running on the multi-threaded runtime") {
                    format!(
                        "redraw_chart called tokio::task::block_in_place, and tokio panics on \
                         that on a current-thread runtime: it has no other thread to hand its \
                         tasks to while this one blocks; {FIX}"
                    )
                } else if message.contains("Cannot block the current thread from within") {
                    format!(
                        "redraw_chart made a blocking wait inside async code (a blocking_recv, \
                         or a block_on), and tokio panics on that: the runtime's thread would \
                         sit blocked until rayon was done; {FIX}"
                    )
                } else {
                    format!("redraw_chart panicked: {message}")
                },
            )
        });
    match flavor {
        Flavor::CurrentThread => run.run_spawned(make),
        Flavor::MultiThread { workers } => run.multi_thread(workers).run_spawned(make),
    }
}

/// What a [`RuntimeProbe`] saw.
#[derive(Debug, Default)]
struct Seen {
    asked_at: Option<Instant>,
    /// When each probe task started running.
    starts: Vec<Instant>,
    /// Probe tasks that are done (met the others, or gave up waiting for them).
    done: usize,
    /// Whether every worker ran a probe task at the same time.
    all_at_once: bool,
}

/// Answers "can every worker of this runtime run a task right now?" from any thread: spawns
/// one task per worker, which must all be running at the same time (a [`Rendezvous`] with
/// patience; on a current-thread runtime its one task just has to run). The asking thread
/// waits for the answer. If the runtime's threads are held by work that itself waits for the
/// asking thread, the tasks cannot meet, whatever the machine's load.
#[derive(Clone)]
struct RuntimeProbe {
    handle: tokio::runtime::Handle,
    workers: usize,
    seen: Arc<(Mutex<Seen>, Condvar)>,
}

impl RuntimeProbe {
    /// A probe for the current runtime, which has `workers` threads that run tasks.
    fn here(workers: usize) -> Self {
        Self {
            handle: tokio::runtime::Handle::current(),
            workers,
            seen: Arc::default(),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spawns the probe tasks and waits (at most [`ASKER_WAITS`]) until they have all started.
    fn ask(&self) {
        let meeting = Rendezvous::new(self.workers, PATIENCE);
        self.seen().asked_at = Some(Instant::now());
        for _ in 0..self.workers {
            let seen = Arc::clone(&self.seen);
            let meeting = Arc::clone(&meeting);
            let workers = self.workers;
            self.handle.spawn(async move {
                seen.0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .starts
                    .push(Instant::now());
                if workers > 1 {
                    // Holds this worker until the others arrive (or gives up): only free
                    // workers can be here at the same time.
                    meeting.arrive();
                }
                seen.0.lock().unwrap_or_else(|e| e.into_inner()).done += 1;
                seen.1.notify_all();
            });
        }
        let state = self.seen();
        let (mut state, _) = self
            .seen
            .1
            .wait_timeout_while(state, ASKER_WAITS, |state| state.done < self.workers)
            .unwrap_or_else(|e| e.into_inner());
        state.all_at_once = if self.workers > 1 {
            meeting.met()
        } else {
            state.starts.len() == 1
        };
    }

    /// After the plotting: gives the probe tasks that could not run before a chance to run
    /// now (at most [`ASKER_WAITS`]), so that the verdict can say how long they waited.
    async fn settle(&self) {
        let until = Instant::now() + ASKER_WAITS;
        while self.seen().starts.len() < self.workers && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// `(asked, all ran at once, tasks that started within the patience, longest wait)`.
    fn report(&self) -> (bool, bool, usize, Option<Duration>) {
        let state = self.seen();
        let Some(asked) = state.asked_at else {
            return (false, false, 0, None);
        };
        let in_time = state
            .starts
            .iter()
            .filter(|start| start.duration_since(asked) < PATIENCE)
            .count();
        let longest = (state.starts.len() == self.workers)
            .then(|| state.starts.iter().map(|s| s.duration_since(asked)).max())
            .flatten();
        (true, state.all_at_once, in_time, longest)
    }
}

/// The grader's `plot`: records where each call ran, and the first call asks the probe
/// whether the runtime can still run tasks while the plotting is under way.
fn probing_plot(
    probe: &RuntimeProbe,
    placement: &Placement,
) -> impl Fn(&Quote) -> Point + Send + Sync + 'static {
    let probe = probe.clone();
    let placement = placement.clone();
    let asked = AtomicBool::new(false);
    move |quote| {
        placement.record(|| {
            if !asked.swap(true, Ordering::SeqCst) {
                probe.ask();
            }
            chart_point(quote)
        })
    }
}

/// Runs `redraw_chart` on a runtime of `flavor` with the probing `plot`.
fn redraw_while_probing(flavor: Flavor) -> (Vec<Point>, RuntimeProbe, Placement) {
    two_thread_global_pool();
    on_runtime(flavor, move || async move {
        let probe = RuntimeProbe::here(flavor.workers());
        let placement = Placement::new();
        let points = redraw_chart(quotes(500, 40), probing_plot(&probe, &placement)).await;
        probe.settle().await;
        (points, probe, placement)
    })
}

fn waited(longest: Option<Duration>) -> String {
    match longest {
        Some(longest) => format_duration(longest),
        None => format!("more than {}", format_duration(ASKER_WAITS)),
    }
}

#[test]
fn other_tasks_run_while_a_current_thread_runtime_plots() {
    let (points, probe, placement) = redraw_while_probing(Flavor::CurrentThread);
    let (asked, ran, _, longest) = probe.report();
    assert!(
        asked,
        "plot was never called for a batch of 40 quotes (returned {} points): plot every quote",
        points.len()
    );
    if ran {
        return;
    }
    let calls = placement.calls();
    let on_runtime = calls
        .iter()
        .filter(|call| call.kind == ThreadKind::Runtime)
        .count();
    let why = if on_runtime > 0 {
        format!(
            "{on_runtime} of the {} quotes were plotted on the runtime's own thread",
            calls.len()
        )
    } else {
        "the runtime's only thread sat blocked, waiting for rayon to finish the batch (a \
         par_iter, or a blocking wait for rayon's result, inside async code)"
            .to_owned()
    };
    panic!(
        "the runtime stalled while the chart was plotted: a task spawned meanwhile waited {} to \
         run, because {why}; {FIX}",
        waited(longest)
    );
}

#[test]
fn other_tasks_run_while_a_multi_thread_runtime_plots() {
    const WORKERS: usize = 2;
    let (points, probe, _) = redraw_while_probing(Flavor::MultiThread { workers: WORKERS });
    let (asked, all_at_once, in_time, longest) = probe.report();
    assert!(
        asked,
        "plot was never called for a batch of 40 quotes (returned {} points): plot every quote",
        points.len()
    );
    assert!(
        all_at_once,
        "a worker of the multi-thread runtime was held while the chart was plotted: in the {} \
         the grader waited, only {in_time} of its {WORKERS} workers could run a task (the last \
         one spawned then waited {} to run); par_iter, or a blocking wait for rayon's result, \
         inside a task holds that task's worker until the batch is done; {FIX}",
        format_duration(PATIENCE),
        waited(longest)
    );
}

#[test]
fn plots_the_quotes_in_parallel_on_rayon() {
    two_thread_global_pool();
    let meeting = Rendezvous::new(2, PATIENCE);
    let in_check = Arc::clone(&meeting);
    let (points, placement) = on_runtime(Flavor::CurrentThread, move || async move {
        let placement = Placement::new();
        let recorder = placement.clone();
        let plot = move |quote: &Quote| {
            recorder.record(|| {
                in_check.arrive();
                chart_point(quote)
            })
        };
        (redraw_chart(quotes(7, 24), plot).await, placement)
    });
    assert_eq!(
        points.len(),
        24,
        "returned {} points for 24 quotes: plot every quote once",
        points.len()
    );
    let calls = placement.calls();
    let off_rayon = calls
        .iter()
        .filter(|call| !matches!(call.kind, ThreadKind::Rayon(_)))
        .count();
    if !meeting.met() {
        let where_ = if off_rayon > 0 {
            format!(
                " ({off_rayon} of the {} quotes were plotted outside rayon's pool, where \
                 nothing splits the batch)",
                calls.len()
            )
        } else {
            String::new()
        };
        panic!(
            "plotted one quote at a time: the first quote waited {} for a second one to be \
             plotted alongside it, and none was{where_}; moving the plotting off the runtime \
             must not make it sequential: keep the par_iter, inside a job on rayon's pool",
            format_duration(PATIENCE)
        );
    }
    placement
        .check_on_rayon(
            "plot on rayon's pool (a parallel iterator inside a rayon job), not on other threads",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

/// The grader's `plot` for a batch from `first` to `last` (sequence numbers): quote `first` is
/// held back until quote `last` has been plotted (or for [`HOLD`]), so the batch cannot finish
/// in the quotes' order, whatever the machine's load.
fn plot_holding_the_first_back(first: u64, last: u64) -> impl Fn(&Quote) -> Point + Send + Sync {
    let last_plotted = Gate::new(HOLD);
    move |quote| {
        if quote.seq == first && first != last {
            last_plotted.wait();
        }
        let point = chart_point(quote);
        if quote.seq == last {
            last_plotted.open();
        }
        point
    }
}

#[test]
fn returns_one_point_per_quote_in_order() {
    two_thread_global_pool();
    for (first_seq, count) in [(0, 0), (41, 1), (9_000, 257)] {
        let batch = quotes(first_seq, count);
        let expected: Vec<Point> = batch.iter().map(chart_point).collect();
        let last_seq = first_seq + (count as u64).saturating_sub(1);
        let points = on_runtime(Flavor::CurrentThread, move || async move {
            redraw_chart(batch, plot_holding_the_first_back(first_seq, last_seq)).await
        });
        if points.len() != count {
            panic!(
                "returned {} points for a batch of {count} quotes: one point per quote",
                points.len()
            );
        }
        let Some(at) = (0..count).find(|&i| points[i] != expected[i]) else {
            continue;
        };
        let sorted = |points: &[Point]| {
            let mut points = points.to_vec();
            points.sort_by_key(|p| (p.x, p.y));
            points
        };
        if sorted(&points) != sorted(&expected) {
            panic!(
                "point {at} of {count} is {:?}, but quote {at} plots as {:?}: return each \
                 quote's own point, one per quote",
                points[at], expected[at]
            );
        }
        let reversed: Vec<Point> = expected.iter().rev().copied().collect();
        if points == reversed {
            panic!(
                "returned the {count} points in reverse: point 0 is the last quote's; return them \
                 in the quotes' order"
            );
        }
        let came_back_at = points.iter().position(|p| *p == expected[0]).unwrap_or(0);
        let first_is = expected.iter().position(|p| *p == points[0]).unwrap_or(0);
        panic!(
            "the points are not in the quotes' order, they follow the order the plots finished: \
             the grader held quote 0 back until quote {} had been plotted, and its point came \
             back at position {came_back_at} of {count} (point 0 is quote {first_is}'s); put \
             each point at its quote's place, whatever order the plots finish in",
            count - 1
        );
    }
}

#[test]
fn plots_on_the_global_pool() {
    two_thread_global_pool();
    let threads: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let recorder = Arc::clone(&threads);
    let plot = move |quote: &Quote| {
        let name = thread::current().name().unwrap_or("").to_owned();
        let on_rayon = rayon::current_thread_index().is_some();
        recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, on_rayon));
        chart_point(quote)
    };
    on_runtime(Flavor::CurrentThread, move || async move {
        redraw_chart(quotes(300, 24), plot).await
    });
    let threads = threads.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Plots outside any rayon pool are `plots_the_quotes_in_parallel_on_rayon`'s to name.
    let on_other_pools = threads
        .iter()
        .filter(|(name, on_rayon)| *on_rayon && !name.starts_with(GLOBAL_POOL))
        .count();
    assert!(
        on_other_pools == 0,
        "{on_other_pools} of the {} quotes were plotted on a rayon pool redraw_chart built for \
         itself, not on rayon's global pool: every chart then starts \
         threads of its own, on top of the global pool's, which the server shares for all its \
         CPU work and sizes to the machine's cores; queue the plotting on rayon's global pool",
        threads.len()
    );
}
