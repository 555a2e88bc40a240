//! Wrong fix: scans each block of MIN_BLOCK lines on a scoped std thread of its own: parallel,
//! but outside the rayon pool count_alerts is called in, one new thread per block.
// expect fail: that are not rayon workers
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

use std::thread;

/// The smallest block worth loading the rule set for.
pub const MIN_BLOCK: usize = 1_000;

/// Counts the alert lines of the log, scanning blocks of lines in parallel with `scan`.
pub fn count_alerts<S>(lines: &[&str], scan: S) -> usize
where
    S: Fn(&[&str]) -> usize + Sync + Send,
{
    // One thread per block, all scanning at once; the scope joins them before returning.
    let scan = &scan;
    thread::scope(|scope| {
        let scanners: Vec<_> = lines
            .chunks(MIN_BLOCK)
            .map(|block| scope.spawn(move || scan(block)))
            .collect();
        scanners
            .into_iter()
            .map(|scanner| scanner.join().expect("a scanner panicked"))
            .sum()
    })
}
