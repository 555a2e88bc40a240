//! Wrong fix: a stable parallel sort, then the blocks of a sequential `chunks` bridged to rayon:
//! compressed in parallel, but a bridged iterator is not indexed, so each worker's blocks are
//! gathered in the order that worker pulled them.
// expect fail: returned the blocks neither in the records' order nor in the order they were compressed
//! A log archiver packs a day of log records into compressed blocks for cold storage. Records
//! arrive from many machines, out of order. The archive keeps them sorted by the archive's rule
//! (`order`: by time, then by host); records that compare equal keep their arrival order. It
//! cuts the sorted records into blocks of `BLOCK_LEN` records (the last block may be shorter)
//! and compresses each block, which is slow.
//!
//! `archive(records, order, compress)` sorts `records` in place with `order`, calls `compress`
//! on every block of `BLOCK_LEN` consecutive records, and returns the blocks in order.
//!
//! Done when: the sort is stable and runs on several threads from its start; blocks are
//! compressed at the same time; every block but the last holds exactly `BLOCK_LEN` records,
//! and the blocks come back in order (no records, no blocks).

use std::cmp::Ordering;

use rayon::prelude::*;

/// How many records go into one block.
pub const BLOCK_LEN: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Milliseconds since midnight.
    pub at_ms: u64,
    pub host: String,
    pub message: String,
}

/// A compressed block.
pub type Block = Vec<u8>;

pub fn archive(
    records: &mut [Record],
    order: impl Fn(&Record, &Record) -> Ordering + Sync,
    compress: impl Fn(&[Record]) -> Block + Sync + Send,
) -> Vec<Block> {
    records.par_sort_by(&order);
    records
        .chunks(BLOCK_LEN)
        .par_bridge()
        .map(compress)
        .collect()
}
