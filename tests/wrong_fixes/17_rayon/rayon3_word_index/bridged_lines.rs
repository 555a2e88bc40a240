//! Wrong fix: one index per line and a right merge, but the lines are bridged to rayon from a
//! sequential iterator: each worker pulls the next line, so a piece's lines are not consecutive
//! and merge's "every line of earlier comes before every line of later" no longer holds.
// expect fail: the pieces were not runs of consecutive lines
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
        .iter()
        .enumerate()
        .par_bridge()
        .map(|(number, line)| {
            analyze(line)
                .into_iter()
                .map(|word| (word, vec![number]))
                .collect::<Index>()
        })
        .reduce(Index::new, merge)
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(mut earlier: Index, later: Index) -> Index {
    for (word, mut numbers) in later {
        match earlier.get_mut(&word) {
            Some(listed) => listed.append(&mut numbers),
            None => {
                earlier.insert(word, numbers);
            }
        }
    }
    earlier
}
