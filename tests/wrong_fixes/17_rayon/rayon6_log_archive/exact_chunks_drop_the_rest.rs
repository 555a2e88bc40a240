//! Wrong fix: cuts the blocks with `par_chunks_exact`, which leaves out the short block at the
//! end: whenever the records are not a multiple of BLOCK_LEN, the last ones are never archived.
// expect fail: the short block at the end was dropped
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
    records.par_chunks_exact(BLOCK_LEN).map(compress).collect()
}
