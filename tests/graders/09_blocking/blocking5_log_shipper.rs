use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, DuplexStream};

use crate::exercise::Shipper;

/// The connection's buffer, in bytes: smaller than any line, so every write waits for the
/// collector at least once, in the middle of a batch.
const BUFFER: usize = 16;
/// A check still running after this long (real time) is stopped and named: shipping a few
/// lines through memory takes milliseconds, so only a blocked runtime thread gets here.
const LIMIT: Duration = Duration::from_secs(2);
const OWN_CHECK: &str =
    "the grader's own watchdog names the batch stuck in its poll and the one holding the lock";

const SPAN: &str = "the lock must span the whole batch, awaits included: take a lock whose \
                    waiting is asynchronous";
const ON_BLOCK: &str = "the batches never finished: the runtime's thread blocked for good, or a \
                        batch waited for something that never came";

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

/// The shipper's end of the connection: a small in-memory pipe to the collector, which records
/// where each write was polled.
struct Wire {
    inner: DuplexStream,
    runtime_thread: ThreadId,
    writes: Arc<Mutex<Vec<(WriteSite, Instant)>>>,
}

impl Wire {
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
        self.writes.lock().unwrap().push((site, Instant::now()));
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The collector's end: a task that reads everything until the connection closes.
fn start_collector(
    mut end: impl AsyncRead + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
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
    source: String,
    polls: PollStopwatch,
    done: Arc<AtomicBool>,
}

impl Batches {
    fn watch<F: Future>(&self, source: &str, batch: F) -> impl Future<Output = F::Output> {
        let polls = PollStopwatch::default();
        let done = Arc::new(AtomicBool::new(false));
        self.watched.lock().unwrap().push(Watched {
            source: source.to_owned(),
            polls: polls.clone(),
            done: Arc::clone(&done),
        });
        async move {
            let output = polls.watch(batch).await;
            done.store(true, Ordering::SeqCst);
            output
        }
    }

    /// Names the batch whose poll blocked the thread, if one did.
    fn name_the_stuck_one(&self) -> Option<String> {
        let watched = self.watched.lock().unwrap().clone();
        let (stuck, blocked) = watched
            .iter()
            .find_map(|b| b.polls.stats().in_poll_for().map(|d| (b, d)))?;
        let stuck = &stuck.source;
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
    F: Future<Output = T>,
    T: Send + 'static,
{
    let run = match flavour {
        Flavour::CurrentThread => real_clock(),
        Flavour::MultiThread => real_clock().multi_thread(2),
    };
    let outcome = Watchdog::new(LIMIT, ON_BLOCK).try_run(move || {
        run.allow_blocking(OWN_CHECK)
            .allow_busy(OWN_CHECK)
            .limit(LIMIT * 5)
            .explain_panics(explain)
            .run(check)
    });
    match outcome {
        Ok(output) => output,
        Err(generic) => panic!("{}", batches.name_the_stuck_one().unwrap_or(generic)),
    }
}

/// This grader measures blocking itself (see `OWN_CHECK`), so its runs opt out of the runners'
/// own check with `Run::allow_blocking` (and `allow_busy`). Where the runners have no such check
/// yet, this stand-in keeps the grader compiling; where they do, the inherent methods take
/// precedence over it.
#[allow(dead_code)]
trait MeasuresBlockingItself: Sized {
    fn allow_blocking(self, _reason: &str) -> Self {
        self
    }
    fn allow_busy(self, _reason: &str) -> Self {
        self
    }
}

impl MeasuresBlockingItself for Run {}

fn explain(message: &str) -> Option<String> {
    message.contains("runtime from within a runtime").then(|| {
        "ship called block_on inside async code, and tokio panics on that: you are already in a \
         task, so .await the writes instead of blocking on them"
            .to_owned()
    })
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
/// what the collector got and where the writes were polled.
fn ship_together(
    flavour: Flavour,
    together: [&'static Batch; 2],
) -> (String, Vec<(WriteSite, Instant)>) {
    let batches = Batches::default();
    let watch = batches.clone();
    run_watched(flavour, &batches, move || async move {
        let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
        let writes = Arc::new(Mutex::new(Vec::new()));
        let wire = Wire {
            inner: shipper_end,
            runtime_thread: thread::current().id(),
            writes: Arc::clone(&writes),
        };
        let collector = start_collector(collector_end);
        let shipper = Shipper::new(wire);
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
        let writes = writes.lock().unwrap().clone();
        (stream, writes)
    })
}

#[test]
fn a_batch_arrives_whole_and_an_empty_one_is_its_header() {
    let batches = Batches::default();
    let watch = batches.clone();
    let stream = run_watched(Flavour::CurrentThread, &batches, move || async move {
        let (shipper_end, collector_end) = tokio::io::duplex(BUFFER);
        let wire = Wire {
            inner: shipper_end,
            runtime_thread: thread::current().id(),
            writes: Arc::default(),
        };
        let collector = start_collector(collector_end);
        let shipper = Shipper::new(wire);
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

#[test]
fn the_writes_are_awaited_on_the_runtime() {
    let (stream, writes) = ship_together(Flavour::CurrentThread, [&DB, &API]);
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
    check_stream(&stream, &[API, DB]).unwrap_or_else(|verdict| panic!("{verdict}"));
}
