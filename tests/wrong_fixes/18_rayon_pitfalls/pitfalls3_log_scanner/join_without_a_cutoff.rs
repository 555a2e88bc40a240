//! Wrong fix: divides and conquers with rayon::join, but splits down to single lines: no
//! sequential cutoff.
// expect fail: the smallest: 1 line)
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
    count_halves(lines, &scan)
}

/// Halves the lines, in parallel, until a block is a single line.
fn count_halves<S>(lines: &[&str], scan: &S) -> usize
where
    S: Fn(&[&str]) -> usize + Sync,
{
    if lines.len() <= 1 {
        return scan(lines);
    }
    let (left, right) = lines.split_at(lines.len() / 2);
    let (a, b) = rayon::join(|| count_halves(left, scan), || count_halves(right, scan));
    a + b
}
