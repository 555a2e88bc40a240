use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{MIN_BLOCK, count_alerts};

/// How long the first block waits for a second one to be scanned alongside it. A free worker
/// of the pool picks up work within milliseconds, even on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);
/// Every check runs on a watched thread: a scan that never ends becomes a verdict.
const LIMIT: Duration = Duration::from_secs(6);
/// Thread names of the grader's pools: the dashboard's pool that calls `count_alerts`, and
/// rayon's global pool, so a scan knows where it ran.
const DASHBOARD_POOL: &str = "dashboard-";
const GLOBAL_POOL: &str = "rayon-global-";

/// "10 000" rather than "10000".
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

fn lines_word(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{} lines", grouped(n))
    }
}

/// A log of `count` lines, one in seven of them an alert.
fn log(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            if i % 7 == 3 {
                format!("{:05} ALERT disk /var almost full", i)
            } else {
                format!("{:05} INFO request served in {} ms", i, i % 90)
            }
        })
        .collect()
}

fn is_alert(line: &str) -> bool {
    line.contains(" ALERT ")
}

/// The dashboard's pool, of `threads` named threads; rayon's global pool gets 2 named threads
/// too (each check runs in its own process, so this is its first use).
fn pool(threads: usize) -> rayon::ThreadPool {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("{GLOBAL_POOL}{i}"))
        .build_global();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("{DASHBOARD_POOL}{i}"))
        .build()
        .expect("the grader could not build a rayon pool")
}

/// Where a call of `scan` ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ran {
    /// The pool `count_alerts` was called in.
    CallersPool,
    GlobalPool,
    /// A rayon pool `count_alerts` built.
    OwnPool,
    /// A thread that is no rayon worker.
    PlainThread,
}

fn ran_here() -> Ran {
    match thread::current().name() {
        Some(name) if name.starts_with(DASHBOARD_POOL) => Ran::CallersPool,
        Some(name) if name.starts_with(GLOBAL_POOL) => Ran::GlobalPool,
        _ if rayon::current_thread_index().is_some() => Ran::OwnPool,
        _ => Ran::PlainThread,
    }
}

/// One call of `scan`: the block's length, its thread, and where that thread belongs.
type Call = (usize, ThreadId, Ran);

/// The length of every block `scan` was called with, and the thread of each call.
#[derive(Clone, Default)]
struct Blocks {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Blocks {
    fn record(&self, block: &[&str]) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push((
            block.len(),
            thread::current().id(),
            ran_here(),
        ));
    }

    fn all(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn lengths(&self) -> Vec<usize> {
        self.all().iter().map(|(len, _, _)| *len).collect()
    }

    fn threads(&self) -> usize {
        let threads: HashSet<ThreadId> = self.all().iter().map(|(_, t, _)| *t).collect();
        threads.len()
    }

    /// How many calls ran `where_`, and on how many distinct threads.
    fn ran(&self, where_: Ran) -> (usize, usize) {
        let calls: Vec<Call> = self.all().into_iter().filter(|c| c.2 == where_).collect();
        let threads: HashSet<ThreadId> = calls.iter().map(|(_, t, _)| *t).collect();
        (calls.len(), threads.len())
    }
}

/// Runs `count_alerts` over a log of `count` lines inside a pool of `threads` threads, on a
/// watched thread; `also` runs at the start of every call of `scan`.
fn scan_log(
    count: usize,
    threads: usize,
    also: impl Fn() + Send + Sync + 'static,
) -> (usize, Blocks) {
    let blocks = Blocks::default();
    let recorder = blocks.clone();
    let alerts = Watchdog::new(
        LIMIT,
        "count_alerts never finished: a scan never ended, or the blocks were never all scanned",
    )
    .run(move || {
        let lines = log(count);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let scan = |block: &[&str]| {
            recorder.record(block);
            also();
            block.iter().filter(|line| is_alert(line)).count()
        };
        pool(threads).install(|| count_alerts(&lines, scan))
    });
    (alerts, blocks)
}

#[test]
fn hands_scan_blocks_of_at_least_min_block_lines() {
    for count in [10_000, 2_500, 3_001, 999] {
        let (_, blocks) = scan_log(count, 2, || {});
        let lengths = blocks.lengths();
        let short: Vec<usize> = lengths
            .iter()
            .copied()
            .filter(|&len| len < MIN_BLOCK)
            .collect();
        if short.len() <= 1 {
            continue;
        }
        let smallest = short.iter().copied().min().unwrap_or_default();
        let needed = count.div_ceil(MIN_BLOCK).max(1);
        panic!(
            "too fine-grained: split {} into {} blocks, {} of them under {} (the smallest: \
             {}), so the rule set was loaded {} times where {} would do: every call of scan \
             pays that setup again, however rayon groups the calls into pieces of work; give \
             scan blocks of at least {} (only one block may be shorter)",
            lines_word(count),
            grouped(lengths.len()),
            grouped(short.len()),
            lines_word(MIN_BLOCK),
            lines_word(smallest),
            grouped(lengths.len()),
            grouped(needed),
            lines_word(MIN_BLOCK)
        );
    }
}

#[test]
fn scans_every_line_once_and_counts_the_alerts() {
    for count in [0, 1, 1_000, 7_777] {
        let (alerts, blocks) = scan_log(count, 2, || {});
        let scanned: usize = blocks.lengths().iter().sum();
        assert_eq!(
            scanned,
            count,
            "scan was given {} in all for a log of {}: scan every line exactly once",
            lines_word(scanned),
            lines_word(count)
        );
        let expected = log(count).iter().filter(|line| is_alert(line)).count();
        assert_eq!(
            alerts,
            expected,
            "counted {alerts} alerts in a log of {} that has {expected}: add up what scan \
             returns for every block",
            lines_word(count)
        );
    }
}

#[test]
fn scans_the_blocks_in_parallel() {
    const COUNT: usize = 10_000;
    let meeting = Rendezvous::new(2, PATIENCE);
    let in_scan = Arc::clone(&meeting);
    let (_, blocks) = scan_log(COUNT, 2, move || in_scan.arrive());
    if meeting.met() {
        return;
    }
    let calls = blocks.lengths().len();
    if calls == 1 {
        panic!(
            "nothing ran in parallel: all {} went to scan in one call, on one thread; cut the \
             log into blocks of at least {} and scan them in parallel on the pool",
            lines_word(COUNT),
            lines_word(MIN_BLOCK)
        );
    }
    panic!(
        "scanned the blocks one at a time: {} blocks on {} thread(s) of a 2-thread pool, and \
         the first block waited {:.1} s for a second one to be scanned alongside it; scan the \
         blocks in parallel on the pool count_alerts runs in",
        grouped(calls),
        blocks.threads(),
        PATIENCE.as_secs_f64()
    );
}

#[test]
fn scans_on_the_pool_count_alerts_is_called_in() {
    const COUNT: usize = 10_000;
    let (_, blocks) = scan_log(COUNT, 2, || {});
    let total = blocks.all().len();
    let threads = |n: usize| {
        if n == 1 {
            "1 thread".to_owned()
        } else {
            format!("{n} threads")
        }
    };
    let (own, _) = blocks.ran(Ran::OwnPool);
    assert!(
        own == 0,
        "{own} of the {total} blocks were scanned on a rayon pool count_alerts built for itself, \
         not on the pool it was called in: every call then starts threads on top of the \
         dashboard's pool, which is sized for all the dashboard's CPU work; scan the blocks on \
         the pool count_alerts runs in"
    );
    let (plain, plain_threads) = blocks.ran(Ran::PlainThread);
    if plain > 0 {
        panic!(
            "{plain} of the {total} blocks were scanned on {} that are not rayon workers (a \
             thread started per block?), not on the pool count_alerts was called in: each one \
             is a thread the dashboard did not size its pool for, competing with the pool for \
             the cores; scan the blocks on the pool count_alerts runs in",
            threads(plain_threads)
        );
    }
    let (global, _) = blocks.ran(Ran::GlobalPool);
    assert!(
        global == 0,
        "{global} of the {total} blocks were scanned on rayon's global pool, not on the pool \
         count_alerts was called in, which the dashboard sized for this work; scan the blocks \
         on the pool count_alerts runs in"
    );
}
