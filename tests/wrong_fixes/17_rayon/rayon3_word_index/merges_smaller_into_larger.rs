//! Wrong fix: merges the smaller index into the larger one (to move fewer entries), which
//! swaps the sides when `later` is larger: later lines come before earlier ones.
// expect fail: with a later line before an earlier one
//! A support team searches its logs by word. The indexer turns log lines into an index: for
//! every word, the numbers of the lines it appears on. The analyzer (lowercasing, dropping
//! punctuation, stemming) is slow, so lines are analyzed in parallel.
//!
//! `index_words(lines, analyze)` calls `analyze(line)` once per line (lines are numbered from
//! 0) and returns, for every word `analyze` produced, the numbers of its lines: ascending, each
//! once. `merge(earlier, later)` joins two indexes, where every line of `earlier` comes before
//! every line of `later`.

use std::collections::BTreeMap;

use rayon::prelude::*;

/// Word → the numbers of the lines it appears on, ascending.
pub type Index = BTreeMap<String, Vec<usize>>;

pub fn index_words(lines: &[&str], analyze: impl Fn(&str) -> Vec<String> + Sync + Send) -> Index {
    lines
        .par_iter()
        .enumerate()
        // Rayon splits the lines into contiguous pieces. `fold` gives every piece an index of
        // its own (started by `Index::new`, which adds nothing), filled in the piece's order:
        // no lock, so nothing makes the workers wait for each other.
        .fold(Index::new, |mut index, (number, line)| {
            for word in analyze(line) {
                let numbers = index.entry(word).or_default();
                // A word twice on one line is listed once.
                if numbers.last() != Some(&number) {
                    numbers.push(number);
                }
            }
            index
        })
        // `reduce` joins neighbouring pieces, always the left one first, so `merge` may rely
        // on `earlier` holding the smaller line numbers. The split changes with the pool's
        // size and with work stealing, so `merge` must give the same index for any split: it
        // must be associative, and `Index::new()` must change nothing.
        .reduce(Index::new, merge)
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(mut earlier: Index, later: Index) -> Index {
    let (mut into, from) = if earlier.len() >= later.len() {
        (earlier, later)
    } else {
        (later, earlier)
    };
    for (word, numbers) in from {
        into.entry(word).or_default().extend(numbers);
    }
    into
}
