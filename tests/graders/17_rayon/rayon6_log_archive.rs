use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::Duration;

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
         other had nothing to do (a sequential sort, or one that starts with a pass over all \
         the records on one thread); use a parallel sort that sorts pieces of the slice on \
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
