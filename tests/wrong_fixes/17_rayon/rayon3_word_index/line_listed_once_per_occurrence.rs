//! Wrong fix: per-piece indexes and a right merge, but the fold pushes the line's number for
//! every word analyze returns: a word twice on one line lists that line twice.
// expect fail: lists line 1 more than once ([1, 1]): a word that appears more than once on a line
//! A support team searches its logs by word. The indexer turns log lines into an index: for
//! every word, the numbers of the lines it appears on. The analyzer (lowercasing, dropping
//! punctuation, stemming) is slow, so lines are analyzed in parallel.
//!
//! `index_words(lines, analyze)` calls `analyze(line)` once per line (lines are numbered from
//! 0) and returns, for every word `analyze` produced, the numbers of its lines: ascending, each
//! once. `merge(earlier, later)` joins two indexes, where every line of `earlier` comes before
//! every line of `later`.
//!
//! Done when: lines are analyzed at the same time on the caller's rayon pool; every word's
//! lines are ascending and complete whichever lines finish first and however rayon splits the
//! lines (each piece of the work builds an index of its own, and `merge` joins two of them).

use std::collections::BTreeMap;

use rayon::prelude::*;

/// Word → the numbers of the lines it appears on, ascending.
pub type Index = BTreeMap<String, Vec<usize>>;

pub fn index_words(lines: &[&str], analyze: impl Fn(&str) -> Vec<String> + Sync + Send) -> Index {
    lines
        .par_iter()
        .enumerate()
        .fold(Index::new, |mut index, (number, line)| {
            for word in analyze(line) {
                index.entry(word).or_default().push(number);
            }
            index
        })
        .reduce(Index::new, merge)
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(mut earlier: Index, later: Index) -> Index {
    for (word, numbers) in later {
        earlier.entry(word).or_default().extend(numbers);
    }
    earlier
}
