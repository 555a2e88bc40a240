use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::blocking::PollWatch;
use asynclings_grading::prelude::*;
use asynclings_grading::same_poll::MarkedPolls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, DuplexStream};
use tokio::sync::Notify;
use tokio::task::LocalSet;

use crate::exercise::Shipper;

/// The connection's buffer, in bytes: smaller than any line, so every write waits for the
/// collector at least once, in the middle of a batch.
const BUFFER: usize = 16;
/// A check still running after this long (real time) is stopped and named: shipping a few
/// lines through memory takes milliseconds, so only a blocked runtime thread gets here.
const LIMIT: Duration = Duration::from_secs(2);
/// Turns the runtime gets in a quiet spell (a task of the grader yields this many times), while
/// the collector reads nothing: nothing a batch waits for happens meanwhile.
const QUIET_TURNS: usize = 1_000;
/// Polls of a waiting batch a quiet spell may see: none is needed (nothing happens), one or two
/// may come from wake-ups from before the spell.
const QUIET_POLLS: usize = 2;
const OWN_CHECK: &str =
    "the grader's own watchdog names the batch stuck in its poll and the one holding the lock";
const OWN_POLL_COUNT: &str = "the grader counts the polls of a waiting batch in a quiet spell";

const SPAN: &str = "the lock must span the whole batch, awaits included: take a lock whose \
                    waiting is asynchronous";
/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "the batches never finished: a batch waited for something that \
                              never came";
const ON_BLOCKED: &str = "the batches blocked the runtime's thread and never gave it back: a \
                          batch waited for its writes (or for the collector) without awaiting";
const ON_BUSY: &str = "the batches kept the runtime busy without finishing: a batch tries again \
                       in a loop (try_lock, yield) instead of awaiting";

#[derive(Clone, Copy, Debug)]
enum Flavour {
    CurrentThread,
    MultiThread,
}

// --- The grader's connection -----------------------------------------------------------------

/// Where a write to the connection was polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteSite {
    /// On the thread that runs the runtime's tasks (current-thread runtime).
    Runtime,
    /// On tokio's blocking pool, or another thread inside the runtime.
    BlockingPool,
    /// On a thread outside the runtime.
    Elsewhere,
}

/// What the connection saw: where each write was polled, and the batches that waited for a
/// write inside one of their polls.
#[derive(Clone, Default)]
struct WireLog {
    writes: Arc<Mutex<Vec<(WriteSite, Instant)>>>,
    /// Batches whose write returned `Pending` and was polled again before that poll of the
    /// batch had returned: the poll kept its thread while it waited for the collector, so
    /// something inside it blocked until the write could go on (a block_on).
    same_poll: WaitInOnePoll,
}

impl WireLog {
    fn writes(&self) -> Vec<(WriteSite, Instant)> {
        self.writes.lock().unwrap().clone()
    }

    fn waited_in_one_poll(&self) -> Option<&'static str> {
        self.same_poll.waited_in_one_poll()
    }
}

/// The shipper's end of the connection: a small in-memory pipe to the collector, which records
/// where and in which poll of a batch each write was polled.
struct Wire {
    inner: DuplexStream,
    runtime_thread: ThreadId,
    log: WireLog,
    /// Every write fails, as on a connection the collector has hung up.
    broken: bool,
}

impl Wire {
    /// The shipper's end of `inner`, made on the thread that runs the runtime's tasks.
    fn new(inner: DuplexStream, log: &WireLog) -> Self {
        Wire {
            inner,
            runtime_thread: thread::current().id(),
            log: log.clone(),
            broken: false,
        }
    }

    fn site_here(&self) -> WriteSite {
        if thread::current().id() == self.runtime_thread {
            WriteSite::Runtime
        } else if tokio::runtime::Handle::try_current().is_ok() {
            WriteSite::BlockingPool
        } else {
            WriteSite::Elsewhere
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let site = self.site_here();
        self.log.writes.lock().unwrap().push((site, Instant::now()));
        if self.broken {
            let hung_up = io::Error::new(io::ErrorKind::BrokenPipe, "the collector hung up");
            return Poll::Ready(Err(hung_up));
        }
        let same_poll = self.log.same_poll.clone();
        same_poll.poll(|| Pin::new(&mut self.inner).poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The collector's end: a task that reads everything until the connection closes, once `start`
/// is notified (at once, without one).
fn start_collector(
    mut end: impl AsyncRead + Unpin + Send + 'static,
    start: Option<Arc<Notify>>,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        if let Some(start) = start {
            start.notified().await;
        }
        let mut stream = String::new();
        let _ = end.read_to_string(&mut stream).await;
        stream
    })
}

// --- Watching the batches --------------------------------------------------------------------

/// Every batch a check ships, watched: a stopwatch around its polls and whether it finished.
/// When a check hangs, they say which batch's poll blocked the thread, and what the others were
/// doing meanwhile.
#[derive(Clone, Default)]
struct Batches {
    watched: Arc<Mutex<Vec<Watched>>>,
}

#[derive(Clone)]
struct Watched {
    source: &'static str,
    polls: PollStopwatch,
    done: Arc<AtomicBool>,
}

/// A batch's future, watched: each poll is timed, and marked on the polling thread while it
/// runs (so the connection knows which poll of which batch a write was made in).
struct WatchedBatch<F: Future> {
    inner: MarkedPolls<PollWatch<F>>,
    done: Arc<AtomicBool>,
}

impl<F: Future> Future for WatchedBatch<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polled = Pin::new(&mut self.inner).poll(cx);
        if polled.is_ready() {
            self.done.store(true, Ordering::SeqCst);
        }
        polled
    }
}

impl Batches {
    fn watch<F: Future>(&self, source: &'static str, batch: F) -> WatchedBatch<F> {
        let polls = PollStopwatch::default();
        let done = Arc::new(AtomicBool::new(false));
        self.watched.lock().unwrap().push(Watched {
            source,
            polls: polls.clone(),
            done: Arc::clone(&done),
        });
        WatchedBatch {
            inner: mark_polls(source, polls.watch(batch)),
            done,
        }
    }

    /// How many times each batch has been polled so far, by source.
    fn polls(&self) -> Vec<(&'static str, usize)> {
        let watched = self.watched.lock().unwrap().clone();
        watched
            .iter()
            .map(|b| (b.source, b.polls.stats().polls))
            .collect()
    }

    /// Names the batch whose poll blocked the thread, if one did.
    fn name_the_stuck_one(&self) -> Option<String> {
        let watched = self.watched.lock().unwrap().clone();
        let (stuck, blocked) = watched
            .iter()
            .find_map(|b| b.polls.stats().in_poll_for().map(|d| (b, d)))?;
        let stuck = stuck.source;
        let blocked = blocked.as_secs_f64();
        let suspended = watched.iter().find(|b| {
            let stats = b.polls.stats();
            stats.polls > 0 && stats.in_poll_since.is_none() && !b.done.load(Ordering::SeqCst)
        });
        Some(match suspended {
            Some(holder) => format!(
                "the batch from {stuck} blocked the runtime's thread for {blocked:.1} s on the \
                 connection's lock, which the batch from {holder} keeps while it is suspended \
                 at a write's .await (waiting for the collector): a std::sync::Mutex guard held \
                 across an .await. Its lock() blocks the very thread {holder} needs to resume \
                 and let go, so neither moves again (a deadlock); {SPAN}",
                holder = holder.source
            ),
            None => format!(
                "the batch from {stuck} blocked the runtime's thread for {blocked:.1} s inside \
                 one poll, waiting for its writes without awaiting them (a block_on inside async \
                 code?): the collector, which must read before more can be written, never got \
                 to run; .await the writes"
            ),
        })
    }
}

/// Runs `check` on a fresh real-clock runtime of `flavour`, on a watched thread. If the check
/// has not finished after `LIMIT`, the verdict comes from `batches`.
fn run_watched<T, F>(
    flavour: Flavour,
    batches: &Batches,
    check: impl FnOnce() -> F + Send + 'static,
) -> T
where
    F: Future<Output = T> + 'static,
    T: Send + 'static,
{
    let run = match flavour {
        Flavour::CurrentThread => real_clock(),
        Flavour::MultiThread => real_clock().multi_thread(2),
    };
    let outcome = Watchdog::new(LIMIT, ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .try_run(move || {
            run.allow_blocking(OWN_CHECK)
                .allow_busy(OWN_POLL_COUNT)
                .limit(LIMIT * 5)
                .explain_panics(explain)
                .run(check)
        });
    match outcome {
        Ok(output) => output,
        Err(generic) => panic!("{}", batches.name_the_stuck_one().unwrap_or(generic)),
    }
}

fn explain(message: &str) -> Option<String> {
    if message.contains("runtime from within a runtime") {
        Some(
            "ship called block_on inside async code, and tokio panics on that: you are already \
             in a task, so .await the writes instead of blocking on them"
                .to_owned(),
        )
    } else if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "ship called block_in_place, and on a current-thread runtime tokio panics on that \
             (there is no other thread to hand the runtime's tasks to); on any runtime, writes \
             driven from inside it (by a block_on) hold a thread for every wait on the \
             collector: .await the writes in ship itself, and make waiting for the connection \
             asynchronous"
                .to_owned(),
        )
    } else {
        None
    }
}

// --- Reading what the collector got ------------------------------------------------------------

/// One batch as the test ships it.
struct Batch {
    source: &'static str,
    lines: &'static [&'static str],
}

impl Batch {
    fn text(&self) -> String {
        let mut text = format!("BATCH {} {}\n", self.source, self.lines.len());
        for line in self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// `Err(verdict)` unless `stream` is the batches, whole, in some order.
fn check_stream(stream: &str, batches: &[Batch]) -> Result<(), String> {
    let lines: Vec<&str> = stream.lines().collect();
    let mut at = 0;
    let mut seen = Vec::new();
    while at < lines.len() {
        let header = lines[at];
        let Some(batch) = batches
            .iter()
            .find(|b| header == format!("BATCH {} {}", b.source, b.lines.len()))
        else {
            return Err(format!(
                "the collector expected a batch header and got `{header}` (stream so far: \
                 {:?}): the lines of one batch were split up",
                lines[..=at].join("\n")
            ));
        };
        for (n, expected) in batch.lines.iter().enumerate() {
            let got = lines.get(at + 1 + n).copied();
            if got != Some(*expected) {
                let got = got.map_or("the end of the stream".to_owned(), |g| format!("`{g}`"));
                return Err(format!(
                    "the batches were interleaved: after `{header}` and {n} of its {} line(s), \
                     the collector got {got}, which it files as a line of {}'s batch: the \
                     connection was let go between the writes of one batch; {SPAN}",
                    batch.lines.len(),
                    batch.source
                ));
            }
        }
        seen.push(batch.source);
        at += 1 + batch.lines.len();
    }
    for batch in batches {
        let times = seen.iter().filter(|s| **s == batch.source).count();
        if times != 1 {
            return Err(format!(
                "the collector got the batch from {} {times} time(s), not once (stream: \
                 {stream:?})",
                batch.source
            ));
        }
    }
    Ok(())
}

const API: Batch = Batch {
    source: "api",
    lines: &[
        "api: GET /orders 200",
        "api: GET /orders/7 404",
        "api: POST /cart 201",
    ],
};
const DB: Batch = Batch {
    source: "db",
    lines: &["db: slow query 1.2 s", "db: pool exhausted"],
};
const CRON: Batch = Batch {
    source: "cron",
    lines: &[],
};

/// Ships `batches` at the same time (futures of one task) on a runtime of `flavour`; returns
/// what the collector got and what the connection saw.
fn ship_together(flavour: Flavour, together: [&'static Batch; 2]) -> (String, WireLog) {
    let batches = Batches::default();
    let watch = batches.clone();
    run_watched(flavour, &batches, move || async move {
        let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
        let log = WireLog::default();
        let collector = start_collector(collector_end, None);
        let shipper = Shipper::new(Wire::new(shipper_end, &log));
        let [first, second] = together;
        let (a, b) = futures::join!(
            watch.watch(first.source, shipper.ship(first.source, first.lines)),
            watch.watch(second.source, shipper.ship(second.source, second.lines)),
        );
        // Closing the connection lets the collector see the end of the stream.
        drop(shipper);
        let stream = collector.await.expect("the grader's collector failed");
        for (batch, result) in [(first, a), (second, b)] {
            if let Err(error) = result {
                panic!("shipping the batch from {} failed: {error}", batch.source);
            }
        }
        (stream, log)
    })
}

#[test]
fn a_batch_arrives_whole_and_an_empty_one_is_its_header() {
    let batches = Batches::default();
    let watch = batches.clone();
    let stream = run_watched(Flavour::CurrentThread, &batches, move || async move {
        let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
        let collector = start_collector(collector_end, None);
        let shipper = Shipper::new(Wire::new(shipper_end, &WireLog::default()));
        for batch in [&DB, &CRON] {
            let shipped = watch.watch(batch.source, shipper.ship(batch.source, batch.lines));
            if let Err(error) = shipped.await {
                panic!("shipping the batch from {} failed: {error}", batch.source);
            }
        }
        drop(shipper);
        collector.await.expect("the grader's collector failed")
    });
    let expected = format!("{}{}", DB.text(), CRON.text());
    assert_eq!(
        stream, expected,
        "the collector should get each batch as `BATCH <source> <count>` and its lines, one per \
         line (an empty batch is its header alone)"
    );
}

#[test]
fn batches_shipped_together_arrive_whole() {
    let (stream, _) = ship_together(Flavour::CurrentThread, [&API, &DB]);
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn batches_shipped_together_arrive_whole_on_a_multi_thread_runtime() {
    let (stream, _) = ship_together(Flavour::MultiThread, [&DB, &API]);
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}

/// `Err(verdict)` if a batch waited for the collector inside one of its polls: its write
/// returned `Pending`, and was polled again before the batch's poll returned.
fn check_no_wait_inside_a_poll(log: &WireLog) -> Result<(), String> {
    match log.waited_in_one_poll() {
        None => Ok(()),
        Some(source) => Err(format!(
            "the batch from {source} waited for the collector inside one poll of ship: a write \
             returned Pending (the connection's buffer was full) and was polled again before \
             ship's poll returned, so something in it (a block_on, inside block_in_place or \
             not) held its thread for the whole wait, where an .await would have let go of it; \
             await the writes in ship's own task, holding a lock that can be awaited"
        )),
    }
}

#[test]
fn the_writes_are_awaited_on_the_runtime() {
    let (stream, log) = ship_together(Flavour::CurrentThread, [&DB, &API]);
    let writes = log.writes();
    if let Some(&(site, _)) = writes.iter().find(|(site, _)| *site != WriteSite::Runtime) {
        let away: Vec<Instant> = writes
            .iter()
            .filter(|(s, _)| *s != WriteSite::Runtime)
            .map(|&(_, at)| at)
            .collect();
        let kept = match (away.first(), away.last()) {
            (Some(first), Some(last)) => (*last - *first).as_millis(),
            _ => 0,
        };
        let place = match site {
            WriteSite::BlockingPool => {
                "on tokio's blocking pool (driven there by a block_on \
                                        inside spawn_blocking)"
            }
            _ => "on a thread outside the runtime (driven there by a block_on)",
        };
        panic!(
            "the writes, which are async, were polled {place}, {} poll(s) over {kept} ms: there \
             every wait for the collector holds a whole thread, where on the runtime it costs \
             nothing; await the writes in ship's own task, holding a lock that can be awaited",
            away.len()
        );
    }
    check_no_wait_inside_a_poll(&log).unwrap_or_else(|verdict| panic!("{verdict}"));
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn the_writes_are_awaited_on_the_runtime_on_a_multi_thread_runtime() {
    let (stream, log) = ship_together(Flavour::MultiThread, [&API, &DB]);
    check_no_wait_inside_a_poll(&log).unwrap_or_else(|verdict| panic!("{verdict}"));
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}

// --- While the collector reads nothing ---------------------------------------------------------

/// A quiet spell: gives the runtime `QUIET_TURNS` turns (this task yields that many times)
/// while the collector, held by the grader, reads nothing; then lets the collector read.
/// Returns what `during` saw at the end of the spell, before the collector was let go.
fn quiet_spell<T: Send + 'static>(
    collector: Arc<Notify>,
    during: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    tokio::spawn(async move {
        for _ in 0..QUIET_TURNS {
            tokio::task::yield_now().await;
        }
        let seen = during();
        collector.notify_one();
        seen
    })
}

#[test]
fn ship_returns_once_the_batch_is_written() {
    let batches = Batches::default();
    let watch = batches.clone();
    let (returned_early, stream) =
        run_watched(Flavour::CurrentThread, &batches, move || async move {
            let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
            let start = Arc::new(Notify::new());
            let collector = start_collector(collector_end, Some(Arc::clone(&start)));
            let shipper = Shipper::new(Wire::new(shipper_end, &WireLog::default()));
            let returned = Arc::new(AtomicBool::new(false));
            let seen = Arc::clone(&returned);
            let spell = quiet_spell(start, move || seen.load(Ordering::SeqCst));
            let shipped = watch
                .watch(API.source, shipper.ship(API.source, API.lines))
                .await;
            returned.store(true, Ordering::SeqCst);
            if let Err(error) = shipped {
                panic!("shipping the batch from api failed: {error}");
            }
            let returned_early = spell.await.expect("the grader's quiet spell failed");
            drop(shipper);
            let stream = collector.await.expect("the grader's collector failed");
            (returned_early, stream)
        });
    let size = API.text().len();
    assert!(
        !returned_early,
        "ship returned Ok for a batch of {size} bytes while the collector had read none of it, \
         and the connection holds at most {BUFFER} bytes: it returned before its batch was \
         written (the caller takes that as done, and never hears of a write that fails); \
         return once the last line is written"
    );
    assert_eq!(
        stream,
        API.text(),
        "the collector should get the batch whole, once"
    );
}

#[test]
fn a_failed_write_is_returned() {
    let batches = Batches::default();
    let watch = batches.clone();
    let shipped = run_watched(Flavour::CurrentThread, &batches, move || async move {
        let (shipper_end, _collector_end) = tokio::io::duplex(BUFFER);
        let mut wire = Wire::new(shipper_end, &WireLog::default());
        wire.broken = true;
        let shipper = Shipper::new(wire);
        let shipped = watch
            .watch(DB.source, shipper.ship(DB.source, DB.lines))
            .await;
        shipped.map_err(|error| error.kind())
    });
    assert!(
        shipped.is_err(),
        "every write to the connection failed (BrokenPipe: the collector hung up), and ship \
         returned {shipped:?}: the caller must hear that its batch was not written; return the \
         write's io::Error"
    );
}

#[test]
fn a_batch_waiting_for_its_turn_is_not_polled_again_and_again() {
    let batches = Batches::default();
    let watch = batches.clone();
    let (quiet_polls, stream) = run_watched(Flavour::CurrentThread, &batches, move || {
        async move {
            let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
            let start = Arc::new(Notify::new());
            let collector = start_collector(collector_end, Some(Arc::clone(&start)));
            let shipper = Arc::new(Shipper::new(Wire::new(shipper_end, &WireLog::default())));
            // Each batch in a task of its own (on this thread): a batch's polls are its own,
            // not those of a join! woken by the other one.
            let tasks = LocalSet::new();
            let quiet_polls = tasks
                .run_until(async {
                    let mut shipping = Vec::new();
                    for batch in [&API, &DB] {
                        let (shipper, watch) = (Arc::clone(&shipper), watch.clone());
                        shipping.push(tokio::task::spawn_local(async move {
                            watch
                                .watch(batch.source, shipper.ship(batch.source, batch.lines))
                                .await
                        }));
                        // The first batch takes the connection before the second asks for it.
                        tokio::task::yield_now().await;
                    }
                    let before = watch.polls();
                    let counted = watch.clone();
                    let spell = quiet_spell(start, move || {
                        let after = counted.polls();
                        before
                            .iter()
                            .zip(after)
                            .map(|(&(source, before), (_, after))| (source, after - before))
                            .collect::<Vec<_>>()
                    });
                    for (batch, shipped) in [&API, &DB].into_iter().zip(shipping) {
                        let shipped = shipped
                            .await
                            .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
                        if let Err(error) = shipped {
                            panic!("shipping the batch from {} failed: {error}", batch.source);
                        }
                    }
                    spell.await.expect("the grader's quiet spell failed")
                })
                .await;
            drop(shipper);
            let stream = collector.await.expect("the grader's collector failed");
            (quiet_polls, stream)
        }
    });
    if let Some(&(busy, polls)) = quiet_polls.iter().find(|&&(_, polls)| polls > QUIET_POLLS) {
        let holder = quiet_polls
            .iter()
            .find(|&&(source, _)| source != busy)
            .map_or("another batch", |&(source, _)| source);
        panic!(
            "while the batch from {holder} held the connection, waiting for the collector \
             (which read nothing meanwhile), the batch from {busy}, waiting for its turn, was \
             polled {} times in {QUIET_TURNS} turns of the runtime: it wakes itself again and \
             again to try the lock (a busy loop that burns the runtime's thread) instead of \
             sleeping until the connection is free; {SPAN}",
            if polls >= 100 {
                "100+".to_owned()
            } else {
                polls.to_string()
            }
        );
    }
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}
