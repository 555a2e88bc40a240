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

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

/// The length of every block `scan` was called with, and the thread of each call.
#[derive(Clone, Default)]
struct Blocks {
    calls: Arc<Mutex<Vec<(usize, ThreadId)>>>,
}

impl Blocks {
    fn record(&self, block: &[&str]) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((block.len(), thread::current().id()));
    }

    fn lengths(&self) -> Vec<usize> {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.iter().map(|(len, _)| *len).collect()
    }

    fn threads(&self) -> usize {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.iter().map(|(_, t)| *t).collect::<HashSet<_>>().len()
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
