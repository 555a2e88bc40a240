//! Correct alternative: parallel map + collect of each line's words, then a sequential build
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
    // Only the analyzing is slow: do it in parallel and collect the words of each line
    // (collect keeps the lines' order), then build the index in one sequential pass.
    let words: Vec<Vec<String>> = lines.par_iter().map(|line| analyze(line)).collect();
    let mut index = Index::new();
    for (number, words) in words.into_iter().enumerate() {
        for word in words {
            let numbers = index.entry(word).or_default();
            if numbers.last() != Some(&number) {
                numbers.push(number);
            }
        }
    }
    index
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(earlier: Index, later: Index) -> Index {
    later
        .into_iter()
        .fold(earlier, |mut index, (word, mut numbers)| {
            index.entry(word).or_default().append(&mut numbers);
            index
        })
}
