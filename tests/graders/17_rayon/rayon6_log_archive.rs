use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{BLOCK_LEN, Block, Record, archive};

/// How long the first comparison (or block) waits for a second one on another thread. Idle
/// workers steal in microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

const HOSTS: [&str; 3] = ["db-1", "web-2", "web-3"];

/// A day of `count` records as they arrive: out of order, and with many records at the same
/// instant on the same host (they compare equal), so that only a stable sort keeps their
/// arrival order. Each message names the record's place of arrival.
fn day(count: usize) -> Vec<Record> {
    (0..count)
        .map(|i| Record {
            at_ms: 28_800_000 + ((i * 7_919) % 61) as u64 * 250,
            host: HOSTS[(i * 5) % HOSTS.len()].to_owned(),
            message: format!("arrival #{i}"),
        })
        .collect()
}

/// The archive's rule: by time, then by host.
fn by_time_then_host(a: &Record, b: &Record) -> Ordering {
    a.at_ms.cmp(&b.at_ms).then_with(|| a.host.cmp(&b.host))
}

/// The grader's compression: the messages, one per line (enough to tell the records apart).
fn pack(block: &[Record]) -> Block {
    block
        .iter()
        .map(|record| record.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn unpack(block: &Block) -> Vec<String> {
    if block.is_empty() {
        return Vec::new();
    }
    String::from_utf8_lossy(block)
        .split('\n')
        .map(str::to_owned)
        .collect()
}

fn clock(at_ms: u64) -> String {
    let seconds = at_ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        at_ms % 1000
    )
}

/// What is wrong with the order of `got` (the sorted records should be `want`), if anything.
fn order_problem(got: &[Record], want: &[Record]) -> Option<String> {
    if got == want {
        return None;
    }
    let out_of_order =
        (1..got.len()).find(|&i| by_time_then_host(&got[i - 1], &got[i]) == Ordering::Greater);
    let Some(position) = out_of_order else {
        // Sorted by `order`, yet not the stable result: equal records were swapped.
        let swapped = (0..got.len()).find(|&i| got[i] != want[i]).unwrap_or(0);
        let record = &got[swapped];
        return Some(format!(
            "records that compare equal lost their arrival order: at position {swapped}, \
             \"{}\" ({} on {}) comes before a record of the same instant and host that arrived \
             earlier; use a stable sort, which keeps equal records in arrival order",
            record.message,
            clock(record.at_ms),
            record.host
        ));
    };
    let (before, after) = (&got[position - 1], &got[position]);
    let each_block_sorted = got.chunks(BLOCK_LEN).all(|block| {
        block
            .windows(2)
            .all(|pair| by_time_then_host(&pair[0], &pair[1]) != Ordering::Greater)
    });
    let seen = format!(
        "position {position} ({} on {}) comes after position {} ({} on {}) although it is \
         earlier",
        clock(after.at_ms),
        after.host,
        position - 1,
        clock(before.at_ms),
        before.host
    );
    Some(if each_block_sorted && position % BLOCK_LEN == 0 {
        format!(
            "the records were sorted within each block of {BLOCK_LEN}, not across blocks: \
             {seen}; sort all the records first, then cut them into blocks"
        )
    } else {
        format!(
            "the records are not in order after archive: {seen}; sort the whole slice with `order`"
        )
    })
}

/// The block sizes a list of blocks has, in a few words: "2 blocks of [1300, 1300] records".
fn sizes(blocks: &[Vec<String>]) -> String {
    let sizes: Vec<usize> = blocks.iter().map(Vec::len).collect();
    match sizes.as_slice() {
        [] => "no blocks".to_owned(),
        [one] => format!("1 block of {one} records"),
        _ if sizes.len() <= 8 => format!("{} blocks of {sizes:?} records", sizes.len()),
        _ => format!("{} blocks of {:?}… records", sizes.len(), &sizes[..8]),
    }
}

#[test]
fn packs_sorted_records_into_full_blocks_in_order() {
    // One thread: the result of each step cannot depend on timing, only on the code.
    for count in [0, 1, BLOCK_LEN, 2_600] {
        let mut records = day(count);
        let mut want = records.clone();
        want.sort_by(by_time_then_host);
        let blocks = pool(1).install(|| archive(&mut records, by_time_then_host, pack));

        if let Some(problem) = order_problem(&records, &want) {
            panic!("with {count} records, {problem}");
        }
        let blocks: Vec<Vec<String>> = blocks.iter().map(unpack).collect();
        let expected: Vec<Vec<String>> = want
            .chunks(BLOCK_LEN)
            .map(|block| block.iter().map(|r| r.message.clone()).collect())
            .collect();
        let got_sizes: Vec<usize> = blocks.iter().map(Vec::len).collect();
        let want_sizes: Vec<usize> = expected.iter().map(Vec::len).collect();
        if let Some((&short, full)) = want_sizes.split_last()
            && short < BLOCK_LEN
            && got_sizes == full
        {
            panic!(
                "made {} for {count} record(s) and left the last {short} out: the short \
                 block at the end was dropped. Every record goes into a block; the last block \
                 holds what is left over, fewer than BLOCK_LEN ({BLOCK_LEN}) records",
                sizes(&blocks)
            );
        }
        assert!(
            got_sizes == want_sizes,
            "made {} for {count} records, where every block but the last holds BLOCK_LEN \
             ({BLOCK_LEN}) records ({}): cut the sorted records into chunks of BLOCK_LEN \
             records (the chunk's size, not the number of chunks)",
            sizes(&blocks),
            sizes(&expected)
        );
        if let Some(wrong) = (0..blocks.len()).find(|&i| blocks[i] != expected[i]) {
            panic!(
                "block {wrong} of {count} records holds other records than the sorted records \
                 {} to {}: compress consecutive runs of the sorted records, and return the \
                 blocks in order",
                wrong * BLOCK_LEN,
                wrong * BLOCK_LEN + expected[wrong].len() - 1
            );
        }
    }
}

#[test]
fn sorts_on_several_threads_from_the_start() {
    // 8000 records: large enough that a parallel sort sorts pieces on both threads at once.
    let mut records = day(8_000);
    let meeting = Rendezvous::new(2, PATIENCE);
    pool(2).install(|| {
        archive(
            &mut records,
            |a, b| {
                meeting.arrive();
                by_time_then_host(a, b)
            },
            pack,
        )
    });
    assert!(
        meeting.met(),
        "the sort's first comparison waited {} for another comparison to run alongside it on \
         the 2-thread pool, and none did: its first comparisons all ran on one thread while the \
         other had nothing to do (a sequential sort; or a quicksort, even one made stable \
         with a tie-break: its first partition is a pass over all the records on one thread); use a parallel sort that sorts pieces of the slice on \
         every thread from the start",
        seconds(PATIENCE)
    );
}

#[test]
fn compresses_blocks_at_the_same_time() {
    let mut records = day(4_000);
    let meeting = Rendezvous::new(2, PATIENCE);
    let blocks = AtomicUsize::new(0);
    pool(2).install(|| {
        archive(&mut records, by_time_then_host, |block| {
            blocks.fetch_add(1, AtomicOrdering::SeqCst);
            meeting.arrive();
            pack(block)
        })
    });
    let blocks = blocks.into_inner();
    assert!(
        meeting.met(),
        "compressed the {blocks} blocks one after another on the 2-thread pool: the first block \
         waited {} for another to be compressed alongside it, and none was; cut the records \
         into blocks with a parallel iterator over chunks of the slice, so that the idle worker \
         can steal half of them",
        seconds(PATIENCE)
    );
}

/// Proves that the items of one parallel call run at the same time, then makes them finish in
/// an order the grader chose. Items are named by their index in the input; `None` for an item
/// the grader cannot place (it counts as started, but is never held).
///
/// 1. The first two items to start wait for each other (up to `PATIENCE`): they meet only if
///    two run at the same time. Code that takes turns (a lock held over the work, a plain loop)
///    fails here however the threads are scheduled: the second item cannot start while the
///    first one waits.
/// 2. If they met, item 0 is held back until a worker thread other than its own has started
///    its second item (so that worker had finished its first one), or until `PATIENCE` has
///    passed. Parallel work therefore finishes some other item before item 0.
/// 3. The start that lets item 0 go (that worker's second item) is itself held back, in the
///    middle of the work, until another thread starts an item after it (item 0's thread, once
///    item 0 is done), or until every item has started. Each worker then has taken items on
///    both sides of the other's: results gathered per worker, in the order each worker picked
///    its items up, cannot come out in the input's order.
///
/// Whatever the split, results stored as they finish then have the first item of the worker
/// that got ahead before item 0, and item 0 before the second held item.
struct HoldBack {
    items: usize,
    state: Mutex<Held>,
    changed: Condvar,
}

#[derive(Default)]
struct Held {
    /// Items started, per thread, in the order each thread started them.
    started: HashMap<ThreadId, Vec<Option<usize>>>,
    total: usize,
    arrived: usize,
    /// Whether the first two items met; `None` until decided.
    met: Option<bool>,
    /// The thread that started item 0.
    first_thread: Option<ThreadId>,
    /// Whether another worker got ahead of item 0; `None` if it was not held.
    overtaken: Option<bool>,
    /// The first item of the worker that got ahead of item 0: it finished before item 0.
    finished_first: Option<usize>,
    /// The item held back second, and whether another thread started an item meanwhile.
    second: Option<(usize, Option<bool>)>,
}

impl Held {
    /// The first item of a thread other than `me` that has started two items, if any.
    fn ahead_of(&self, me: ThreadId) -> Option<Option<usize>> {
        self.started
            .iter()
            .find(|(thread, items)| **thread != me && items.len() >= 2)
            .map(|(_, items)| items[0])
    }
}

impl HoldBack {
    fn new(items: usize) -> Self {
        Self {
            items,
            state: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, Held> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (up to `PATIENCE`) until `done` holds; returns the guard either way.
    fn wait_for<'a>(
        &self,
        mut held: MutexGuard<'a, Held>,
        done: impl Fn(&Held) -> bool,
    ) -> MutexGuard<'a, Held> {
        let deadline = Instant::now() + PATIENCE;
        while !done(&held) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            held = self
                .changed
                .wait_timeout(held, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        held
    }

    /// Called at the start of every item.
    fn start(&self, item: Option<usize>) {
        let me = thread::current().id();
        let mut held = self.state();
        let mine = held.started.entry(me).or_default();
        mine.push(item);
        let my_starts = mine.len();
        held.total += 1;
        if item == Some(0) {
            held.first_thread = Some(me);
        }
        self.changed.notify_all();
        if held.met.is_none() {
            held.arrived += 1;
            if held.arrived >= 2 {
                held.met = Some(true);
                self.changed.notify_all();
            } else {
                held = self.wait_for(held, |held| held.met.is_some());
                if held.met.is_none() {
                    held.met = Some(false);
                    self.changed.notify_all();
                }
            }
        }
        // This start lets item 0 go: hold it back in turn, until another thread moves on.
        let releases_first = held.met == Some(true)
            && held.first_thread.is_some_and(|first| first != me)
            && held.overtaken.is_none()
            && held.second.is_none()
            && my_starts >= 2;
        if let (true, Some(item)) = (releases_first, item) {
            held.second = Some((item, None));
            let total_then = held.total;
            held = self.wait_for(held, |held| {
                held.total > total_then || held.total >= self.items
            });
            let moved_on = held.total > total_then;
            held.second = Some((item, Some(moved_on)));
            self.changed.notify_all();
        }
        if item == Some(0) && held.met == Some(true) && held.overtaken.is_none() {
            held = self.wait_for(held, |held| held.ahead_of(me).is_some());
            let ahead = held.ahead_of(me);
            held.overtaken = Some(ahead.is_some());
            held.finished_first = ahead.flatten();
            self.changed.notify_all();
        }
    }

    /// Whether the first two items met; `None` if fewer than one started.
    fn met(&self) -> Option<bool> {
        self.state().met
    }

    fn overtaken(&self) -> Option<bool> {
        self.state().overtaken
    }

    /// How `order` (the input indices, as the results came back) is out of order, if it is.
    fn misorder(&self, order: &[usize]) -> Option<Misorder> {
        if order.windows(2).all(|pair| pair[0] < pair[1]) {
            return None;
        }
        let held = self.state();
        let position = |item: usize| order.iter().position(|&i| i == item);
        let before =
            |a: usize, b: usize| matches!((position(a), position(b)), (Some(a), Some(b)) if a < b);
        let after_its_overtaker = held.finished_first.is_some_and(|first| before(first, 0));
        let before_the_second = match held.second {
            Some((second, Some(true))) => before(0, second),
            _ => true,
        };
        Some(if after_its_overtaker && before_the_second {
            Misorder::AsFinished
        } else {
            Misorder::AsPickedUp
        })
    }
}

/// How results that are all there came back out of the input's order.
#[derive(Debug, PartialEq)]
enum Misorder {
    /// In the order they finished: stored as they came in (a push into a shared collection).
    AsFinished,
    /// Neither in the input's order nor as they finished: each worker's results kept together,
    /// in the order that worker picked its items up.
    AsPickedUp,
}

/// `order` (input indices) as runs of consecutive indices: "8–15, 0–7".
fn runs(order: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &item in order {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == item => *last = item,
            _ => runs.push((item, item)),
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .take(8)
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            }
        })
        .collect();
    let more = if runs.len() > 8 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Whether `order` is made of runs of consecutive indices, each in order, put together in
/// another order: what joining pieces the wrong way round gives.
fn pieces_swapped(order: &[usize]) -> bool {
    let runs = order
        .windows(2)
        .filter(|pair| pair[0] + 1 != pair[1])
        .count()
        + 1;
    runs > 1 && runs <= order.len() / 2
}

/// A day of 4000 records (8 blocks), sorted the way the archive must sort them.
fn eight_blocks() -> (Vec<Record>, Vec<Record>) {
    let records = day(8 * BLOCK_LEN);
    let mut sorted = records.clone();
    sorted.sort_by(by_time_then_host);
    (records, sorted)
}

/// The number of every block in `blocks`, in the order they came back, if every block of the
/// sorted records came back exactly once.
fn block_order(blocks: &[Block], sorted: &[Record]) -> Option<Vec<usize>> {
    let expected: Vec<Block> = sorted.chunks(BLOCK_LEN).map(pack).collect();
    let order: Vec<usize> = blocks
        .iter()
        .map(|block| expected.iter().position(|want| want == block))
        .collect::<Option<_>>()?;
    let mut seen = vec![false; expected.len()];
    for &at in &order {
        if std::mem::replace(&mut seen[at], true) {
            return None;
        }
    }
    (order.len() == expected.len()).then_some(order)
}

#[test]
fn returns_blocks_in_order_when_blocks_finish_out_of_order() {
    let (mut records, sorted) = eight_blocks();
    let see_packs = "see the check \"packs sorted records into full blocks in order\"";
    // First without any timing: on one thread, blocks finish in order.
    let blocks = pool(1).install(|| archive(&mut records, by_time_then_host, pack));
    let Some(order) = block_order(&blocks, &sorted) else {
        panic!(
            "could not check the order of the blocks: with {} records on a 1-thread pool, the \
             blocks are not the sorted records cut into blocks of BLOCK_LEN; {see_packs}",
            sorted.len()
        );
    };
    if !order.windows(2).all(|pair| pair[0] < pair[1]) {
        let seen = format!(
            "on a 1-thread pool, where every block finishes in order, the {} blocks came back \
             as blocks {}",
            order.len(),
            runs(&order)
        );
        if pieces_swapped(&order) {
            panic!(
                "{seen}: the pieces rayon split the blocks into were put together the wrong way \
                 round; when the results of two pieces are joined, the left (earlier) piece's \
                 go first"
            );
        }
        panic!(
            "{seen}: the order was lost where the blocks were put together; return each block \
             at its place in the sorted records"
        );
    }

    let (mut records, sorted) = eight_blocks();
    let hold = HoldBack::new(sorted.len() / BLOCK_LEN);
    let expected: Vec<Block> = sorted.chunks(BLOCK_LEN).map(pack).collect();
    let blocks = pool(2).install(|| {
        archive(&mut records, by_time_then_host, |block| {
            let packed = pack(block);
            hold.start(expected.iter().position(|want| *want == packed));
            packed
        })
    });
    if hold.met() != Some(true) {
        panic!(
            "could not check the order: no two blocks were ever compressed at the same time \
             (the first waited {} for another), so no block could finish before block 0 on \
             purpose; see the check \"compresses blocks at the same time\"",
            seconds(PATIENCE)
        );
    }
    match hold.overtaken() {
        Some(true) => {}
        Some(false) => panic!(
            "block 0 was held back for {} so that another block would finish first, and no \
             other worker thread started a second block meanwhile: the other blocks were not \
             compressed while it waited",
            seconds(PATIENCE)
        ),
        None => panic!(
            "block 0 (the first {BLOCK_LEN} sorted records) was never compressed on a 2-thread \
             pool; {see_packs}"
        ),
    }
    let Some(order) = block_order(&blocks, &sorted) else {
        panic!(
            "on a 2-thread pool, archive returned {} blocks that are not the {} blocks of the \
             sorted records, each once: return every block once",
            blocks.len(),
            expected.len()
        );
    };
    match hold.misorder(&order) {
        None => {}
        Some(Misorder::AsFinished) => panic!(
            "returned the blocks in the order they were compressed, not in the records' order: \
             of the {} blocks on a 2-thread pool, block 0 was held back until another worker \
             had compressed a block, and it came back after that block. A push into a shared \
             Vec records when each block finished; let rayon collect the blocks, which keeps \
             each one at its place",
            order.len()
        ),
        Some(Misorder::AsPickedUp) => panic!(
            "returned the blocks neither in the records' order nor in the order they were \
             compressed: of the {} blocks on a 2-thread pool, block 0 was held back until the \
             other worker had started two blocks, and the second of those until block 0's \
             worker had moved on, and the result kept each worker's blocks together, in the \
             order that worker picked them up. A parallel iterator that is not indexed (one \
             bridged from a sequential iterator) gathers that way; cut the blocks with an \
             indexed one, which puts each block at its place",
            order.len()
        ),
    }
}
