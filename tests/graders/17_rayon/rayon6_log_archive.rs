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
    let hold = HoldBack::new(sorted.len() / BLOCK_LEN, PATIENCE);
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
