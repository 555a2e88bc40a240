//! Wrong fix: scans blocks of MIN_BLOCK lines in parallel, but inside a pool count_alerts builds
//! on every call, not on the pool it is called in.
// expect fail: on a rayon pool count_alerts built for itself
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
    // A pool of its own, so the scan never waits behind the dashboard's other work.
    let scanners = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("could not start the scanning pool");
    scanners.install(|| lines.par_chunks(MIN_BLOCK).map(&scan).sum())
}
