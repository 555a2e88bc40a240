//! Wrong fix: per-piece indexes joined with fold and reduce, but merge pours `earlier` into
//! `later`: for a word both pieces have, the later piece's lines come first.
// expect fail: the pieces' indexes were merged with the later piece's lines first
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
                let numbers = index.entry(word).or_default();
                if numbers.last() != Some(&number) {
                    numbers.push(number);
                }
            }
            index
        })
        .reduce(Index::new, merge)
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(earlier: Index, mut later: Index) -> Index {
    for (word, numbers) in earlier {
        later.entry(word).or_default().extend(numbers);
    }
    later
}
