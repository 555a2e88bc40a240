//! A log archiver packs a day of log records into compressed blocks for cold storage. Records
//! arrive from many machines, out of order. The archive keeps them sorted by the archive's rule
//! (`order`: by time, then by host); records that compare equal keep their arrival order. It
//! cuts the sorted records into blocks of `BLOCK_LEN` records (the last block may be shorter)
//! and compresses each block, which is slow.
//!
//! `archive(records, order, compress)` sorts `records` in place with `order`, calls `compress`
//! on every block of `BLOCK_LEN` consecutive records, and returns the blocks in order.

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
    // `par_sort_by` is a stable merge sort: it sorts pieces of the slice on every thread of the
    // pool at once, then merges them (in parallel too). Stable means records that compare equal
    // keep their arrival order. `par_sort_unstable_by` may swap equal records, and it starts
    // with a pass over the whole slice on one thread.
    records.par_sort_by(&order);
    // The blocks must be cut from the *whole* sorted slice: sorting block by block would only
    // sort within blocks. `par_chunks(n)` takes the size of each chunk (the last may be
    // shorter), not the number of chunks; it is an indexed parallel iterator, so `collect`
    // returns the blocks in the slice's order while workers compress several at once.
    records.par_chunks(BLOCK_LEN).map(compress).collect()
}
