use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use tokio::sync::mpsc;

use crate::exercise::{Batch, BatchIndex, Indexer, index_logs};

/// How long the grader waits for something a correct program does within milliseconds (a
/// batch handed to rayon starting on one of its idle threads, a second batch being indexed
/// alongside the first). Only a wrong program waits this long.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check still running after this long (real time) is stopped and named.
const LIMIT: Duration = Duration::from_secs(3);
/// Rayon's global pool: more threads than any limit below, so that the pool's own size never
/// hides batches handed over beyond the limit (each check runs in a process of its own).
const RAYON_THREADS: usize = 8;
/// Virtual time the checks let pass, with no batch finishing, before they look: on a paused
/// clock, tokio only moves time on once every task waits, so by then `index_logs` has taken
/// every batch it was going to take while the pool was busy.
const SETTLE: Duration = Duration::from_secs(60);

/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "index_logs never finished: it waited for a batch or an index that \
                              never came";
const ON_BLOCKED: &str = "index_logs blocked the runtime's thread: it waited for rayon (or \
                          indexed) inside async code; hand each batch to rayon's pool and .await \
                          its index";
const ON_BUSY: &str = "index_logs kept the runtime busy without finishing: a loop that checks \
                       again or yields instead of awaiting a batch, a permit or an index";

fn pool_of_known_size() {
    // Fails only if the pool already exists, which a fresh check process rules out.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(RAYON_THREADS)
        .build_global();
}

/// A batch of log lines; its index is easy to predict.
fn batch(seq: u64) -> Batch {
    let lines = (0..2 + seq % 4)
        .map(|line| format!("GET /item/{seq} took {line} ms"))
        .collect();
    Batch { seq, lines }
}

fn index_of(batch: &Batch) -> BatchIndex {
    BatchIndex {
        seq: batch.seq,
        words: batch
            .lines
            .iter()
            .map(|l| l.split_whitespace().count())
            .sum(),
    }
}

/// Busy on the CPU for `how_long`: indexing, when a wrong program runs it on the runtime.
fn spin_for(how_long: Duration) {
    let until = Instant::now() + how_long;
    let mut x = 1u64;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

/// Gates that belong to batches, by their `seq`.
type GatesBySeq = Arc<Mutex<Vec<(u64, Arc<Gate>)>>>;

/// The grader's indexing library: counts the batches in rayon's pool (started and not yet
/// indexed) and their high-water mark, and can hold them at a gate the grader opens. Only jobs
/// on rayon's threads wait at the gate; on the runtime's thread indexing computes for
/// `PATIENCE` once (the stall a wrong program causes), elsewhere it returns at once.
#[derive(Clone)]
struct Library {
    gate: Arc<Gate>,
    /// Per batch, a gate its job waits at before indexing (the grader's ordering trick).
    waits_for: GatesBySeq,
    /// Per batch, a gate opened once it is indexed.
    indexed: GatesBySeq,
    in_pool: Arc<AtomicUsize>,
    high_water: Arc<AtomicUsize>,
    started: Arc<AtomicUsize>,
    spun: Arc<AtomicBool>,
    gave_up: Arc<AtomicBool>,
    /// The thread that runs the check's runtime, once the check has started it.
    runtime_thread: Arc<Mutex<Option<ThreadId>>>,
}

impl Library {
    fn new(open: bool) -> Self {
        let gate = Gate::new(Duration::from_secs(30));
        if open {
            gate.open();
        }
        Library {
            gate,
            waits_for: Arc::default(),
            indexed: Arc::default(),
            in_pool: Arc::default(),
            high_water: Arc::default(),
            started: Arc::default(),
            spun: Arc::default(),
            gave_up: Arc::default(),
            runtime_thread: Arc::default(),
        }
    }

    /// Makes batch `first` wait (at most `PATIENCE`) until batch `then` is indexed.
    fn finish_after(&self, first: u64, then: u64) {
        let done = Gate::new(PATIENCE);
        self.indexed.lock().unwrap().push((then, Arc::clone(&done)));
        self.waits_for.lock().unwrap().push((first, done));
    }

    /// The indexer, for code running on the current thread's (current-thread) runtime.
    fn indexer(&self, placement: Placement) -> Indexer {
        *self.runtime_thread.lock().unwrap() = Some(thread::current().id());
        let library = self.clone();
        Arc::new(move |batch: Batch| placement.record(|| library.index(batch)))
    }

    fn index(&self, batch: Batch) -> BatchIndex {
        if rayon::current_thread_index().is_some() {
            self.started.fetch_add(1, Ordering::SeqCst);
            let now = self.in_pool.fetch_add(1, Ordering::SeqCst) + 1;
            self.high_water.fetch_max(now, Ordering::SeqCst);
            self.gate.wait();
            // An ordering wait that timed out (a program with fewer batches in flight) is not
            // repeated, so the check stays short and ends with its own verdict.
            let waits_for = self.gate_of(&self.waits_for, batch.seq);
            if let Some(gate) = waits_for
                && !self.gave_up.load(Ordering::SeqCst)
                && !gate.wait()
            {
                self.gave_up.store(true, Ordering::SeqCst);
            }
            self.in_pool.fetch_sub(1, Ordering::SeqCst);
        } else if self.on_runtime_thread() && !self.spun.swap(true, Ordering::SeqCst) {
            spin_for(PATIENCE);
        }
        let index = index_of(&batch);
        if let Some(done) = self.gate_of(&self.indexed, batch.seq) {
            done.open();
        }
        index
    }

    fn on_runtime_thread(&self) -> bool {
        *self
            .runtime_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            == Some(thread::current().id())
    }

    fn gate_of(&self, gates: &Mutex<Vec<(u64, Arc<Gate>)>>, seq: u64) -> Option<Arc<Gate>> {
        let gates = gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, g)| Arc::clone(g))
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn high_water(&self) -> usize {
        self.high_water.load(Ordering::SeqCst)
    }
}

/// The network reader: sends `total` batches into the bounded channel, counting the sends
/// that completed.
fn start_reader(
    total: u64,
    queue: usize,
) -> (mpsc::Receiver<Batch>, mpsc::Sender<Batch>, Arc<AtomicU64>) {
    let (tx, rx) = mpsc::channel(queue);
    let sent = Arc::new(AtomicU64::new(0));
    let (reader, counted) = (tx.clone(), Arc::clone(&sent));
    tokio::spawn(async move {
        for seq in 0..total {
            if reader.send(batch(seq)).await.is_err() {
                break;
            }
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (rx, tx, sent)
}

// --- The runtime the checks run on ---------------------------------------------------------

/// A paused-clock runtime worded for this exercise. The grader's indexer spins on the
/// runtime's thread on purpose when a wrong program indexes there, and `check_placement`
/// names that; so these runs leave blocking to the grader.
fn paused_runtime() -> Run {
    paused_clock()
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .allow_blocking(
            "the indexer spins on the runtime's thread on purpose when a program indexes \
             there, and Placement names where it ran; the check also waits in real time \
             (wait_until) for batches to reach rayon's idle threads",
        )
}

/// `index_logs`, polled in this task until it finishes or `SETTLE` of virtual time passes.
async fn settle_first<F: Future>(pipeline: &mut std::pin::Pin<&mut F>) -> Option<F::Output> {
    tokio::select! {
        biased;
        output = pipeline.as_mut() => Some(output),
        () = tokio::time::sleep(SETTLE) => None,
    }
}

/// Every batch's index, each once, with the indexer's value; in arrival order if `in_order`.
/// (Only the check that makes rayon finish out of order looks at the order: elsewhere the order
/// rayon finishes in is luck, and a verdict must not depend on it.)
fn check_indexes(indexes: &[BatchIndex], total: u64, in_flight: usize, in_order: bool) {
    let seqs: Vec<u64> = indexes.iter().map(|i| i.seq).collect();
    let wanted: Vec<u64> = (0..total).collect();
    if seqs != wanted {
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        assert!(
            sorted == wanted,
            "returned indexes for the batches {seqs:?} where {total} batches arrived \
             ({wanted:?}): every batch must be indexed once, and its index returned, even the \
             ones still in the pool when the channel closes"
        );
        assert!(
            !in_order,
            "returned the indexes in the order {seqs:?} (the order rayon finished them, with up \
             to {in_flight} in flight) instead of the order the batches arrived, {wanted:?}; \
             keep each batch's place while it is in the pool"
        );
    }
    for index in indexes {
        let expected = index_of(&batch(index.seq));
        assert!(
            *index == expected,
            "the index of batch {} is {index:?} where the indexer made {expected:?}: return what \
             the indexer returned for each batch",
            index.seq
        );
    }
}

fn check_placement(placement: &Placement) {
    placement
        .check_on_rayon(
            "indexing is CPU work for rayon's threads: hand each batch to rayon's pool and \
             .await its index",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
}

/// What the check saw once `index_logs` had taken all it would while the pool was busy.
struct Busy {
    taken: u64,
    started: usize,
    high_water: usize,
}

fn busy_verdict(busy: &Busy, total: u64, in_flight: usize, queue: usize) -> Option<String> {
    let Busy {
        taken,
        started,
        high_water,
    } = *busy;
    let limit = in_flight as u64;
    if taken > limit + 1 {
        let took = format!(
            "took {taken} of {total} batches from the channel before any of them was indexed"
        );
        return Some(if high_water > in_flight {
            format!(
                "{took}, and handed them all over: {high_water} batches ran in the pool at \
                 once, where at most {in_flight} may be in flight; a batch counts against the \
                 limit until it is indexed, so take the next one only when one in the pool is \
                 done"
            )
        } else {
            format!(
                "{took}: only {high_water} ran at once, but the other {} waited in a queue \
                 outside the channel (rayon's queue, or one of your own), so the reader never \
                 had to wait and nothing bounds the memory they take; leave batches in the \
                 bounded channel (capacity {queue}) until the pool has room for one",
                taken - high_water as u64
            )
        });
    }
    if taken == 0 {
        return Some(format!(
            "never took a batch from the channel, though {total} were sent: take the batches \
             from `incoming` and hand each to rayon's pool"
        ));
    }
    if taken < limit {
        let held = match taken {
            1 => "its first batch was".to_owned(),
            n => format!("{n} batches were"),
        };
        return Some(format!(
            "indexed one batch at a time: while {held} in rayon's pool, index_logs took no other \
             from the channel, though up to {in_flight} may be in flight; take the next batch as \
             soon as fewer than {in_flight} are in the pool, not when the previous one is done"
        ));
    }
    if started < in_flight {
        return Some(format!(
            "took {taken} batches from the channel, but only {started} ran in rayon's pool at \
             the same time (the first waited {} s for a second): {in_flight} may be in flight, \
             and the pool has {RAYON_THREADS} threads for them; hand each batch to the pool as \
             soon as it is taken",
            PATIENCE.as_secs_f64()
        ));
    }
    None
}

#[test]
fn holds_back_the_reader_while_the_pool_is_busy() {
    const TOTAL: u64 = 12;
    const IN_FLIGHT: usize = 2;
    const QUEUE: usize = 2;
    pool_of_known_size();
    let library = Library::new(false);
    let inside = library.clone();

    let (busy, indexes, placement) = paused_runtime().run(move || async move {
        let placement = Placement::new();
        let (incoming, channel, sent) = start_reader(TOTAL, QUEUE);
        let pipeline = index_logs(incoming, IN_FLIGHT, inside.indexer(placement.clone()));
        let mut pipeline = std::pin::pin!(pipeline);

        // Every batch index_logs took from the channel is in flight from then on: the gate
        // holds every index, so none is done. What it takes depends on what the jobs it handed
        // over did when they started (a permit given back as a job starts frees room long
        // before its batch is indexed), so the check repeats until nothing moves: let
        // index_logs take all it will (virtual time passes only once every task waits), then
        // let every batch it took reach the indexer on one of rayon's idle threads, and again,
        // until a round takes no new batch. The counts it ends on are facts, whatever the
        // machine's load: how many batches left the channel, how many reached the indexer.
        let mut taken_before = None;
        let (early, taken) = loop {
            let early = settle_first(&mut pipeline).await;
            let queued = (QUEUE - channel.capacity()) as u64;
            let taken = sent.load(Ordering::SeqCst) - queued;
            if early.is_some() || taken_before == Some(taken) {
                break (early, taken);
            }
            taken_before = Some(taken);
            // A batch taken and not at the indexer within `PATIENCE`, with rayon's threads
            // idle, is not in rayon's queue: index_logs holds it, or a queue of its own does.
            let handed = (taken as usize).min(RAYON_THREADS);
            if !wait_until(PATIENCE, || inside.started() >= handed) {
                break (early, taken);
            }
        };
        drop(channel);
        let busy = Busy {
            taken,
            started: inside.started(),
            high_water: inside.high_water(),
        };

        inside.gate.open();
        let indexes = match early {
            Some(indexes) => indexes,
            None => pipeline.await,
        };
        (busy, indexes, placement)
    });

    check_placement(&placement);
    if let Some(verdict) = busy_verdict(&busy, TOTAL, IN_FLIGHT, QUEUE) {
        panic!("{verdict}");
    }
    check_indexes(&indexes, TOTAL, IN_FLIGHT, false);
    let high_water = library.high_water();
    assert!(
        high_water <= IN_FLIGHT,
        "{high_water} batches were in rayon's pool at once, where at most {IN_FLIGHT} may be in \
         flight: a batch counts against the limit until it is indexed"
    );
}

/// One run of `index_logs` with the gate open, where batch `first` of each wave of
/// `in_flight` finishes only after the last of that wave (so rayon finishes out of order).
fn run_in_order(total: u64, in_flight: usize, queue: usize) {
    let library = Library::new(true);
    if in_flight >= 2 {
        let wave = in_flight as u64;
        for first in (0..total).step_by(in_flight) {
            let last = (first + wave - 1).min(total - 1);
            if last > first {
                library.finish_after(first, last);
            }
        }
    }
    let inside = library.clone();
    let (indexes, placement) = paused_runtime().run(move || async move {
        let placement = Placement::new();
        let (incoming, channel, _) = start_reader(total, queue);
        drop(channel);
        let indexes = index_logs(incoming, in_flight, inside.indexer(placement.clone())).await;
        (indexes, placement)
    });
    if total > 0 {
        check_placement(&placement);
    }
    check_indexes(&indexes, total, in_flight, true);
    // The limit itself is `holds_back_the_reader_while_the_pool_is_busy`'s to check: there the
    // grader holds the pool, here batches finish too fast for a breach to show every time.
}

#[test]
fn returns_every_index_in_the_order_the_batches_arrived() {
    pool_of_known_size();
    run_in_order(9, 3, 1);
    run_in_order(5, 1, 3);
    run_in_order(3, 6, 2);
}

#[test]
fn no_batches_no_indexes() {
    pool_of_known_size();
    run_in_order(0, 2, 1);
}
