//! Wrong fix: par_chunks with the number of blocks it wants where par_chunks takes the size of
//! a block, so the blocks have 10 lines.
// expect fail: the smallest: 10 lines
//! An on-call dashboard counts the alert lines in the last hour of logs: hundreds of thousands
//! of short lines. `scan(block)` checks a block of lines against the alert rules and returns
//! how many of them are alerts. Every call first loads the rule set (it compiles the rules'
//! patterns), which costs about as much as checking a thousand lines; checking one line takes a
//! few microseconds.
//!
//! Done when: `count_alerts` returns the number of alert lines, scanning every line exactly
//! once; every call of `scan` gets a block of at least `MIN_BLOCK` lines (one shorter block is
//! fine: the remainder, or the whole log when it is shorter than that); and the blocks are
//! scanned in parallel, on the rayon pool `count_alerts` is called in.

use rayon::prelude::*;

/// The smallest block worth loading the rule set for.
pub const MIN_BLOCK: usize = 1_000;

/// Counts the alert lines of the log, scanning blocks of lines in parallel with `scan`.
pub fn count_alerts<S>(lines: &[&str], scan: S) -> usize
where
    S: Fn(&[&str]) -> usize + Sync + Send,
{
    // One block per MIN_BLOCK lines.
    let blocks = (lines.len() / MIN_BLOCK).max(1);
    lines.par_chunks(blocks).map(&scan).sum()
}
