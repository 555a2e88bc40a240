//! Correct alternative: par_chunks with one block per thread of the current pool, never smaller than MIN_BLOCK.
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
    // As few blocks as keep every thread of the pool this runs in busy, so the rule set is
    // loaded as rarely as possible; but never blocks under MIN_BLOCK lines (par_chunks makes
    // only the last one shorter).
    let block = lines
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(MIN_BLOCK);
    lines.par_chunks(block).map(&scan).sum()
}
