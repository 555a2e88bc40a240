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
use std::sync::Mutex;

use rayon::prelude::*;

/// Word → the numbers of the lines it appears on, ascending.
pub type Index = BTreeMap<String, Vec<usize>>;

pub fn index_words(lines: &[&str], analyze: impl Fn(&str) -> Vec<String> + Sync + Send) -> Index {
    // TODO: one index shared by every worker gets each word's lines in the order the lines
    // *finish*. Let each piece of the work fill an index of its own, then let rayon join the
    // pieces' indexes two by two with `merge` (no lock needed).
    let index = Mutex::new(Index::new());
    lines.par_iter().enumerate().for_each(|(number, line)| {
        let words = analyze(line);
        let mut index = index.lock().unwrap();
        for word in words {
            let numbers = index.entry(word).or_default();
            if numbers.last() != Some(&number) {
                numbers.push(number);
            }
        }
    });
    index.into_inner().unwrap()
}

/// Joins two indexes; every line of `earlier` comes before every line of `later`.
pub fn merge(earlier: Index, later: Index) -> Index {
    // TODO: `later`'s words are lost. Keep every line of both, each word's lines ascending.
    let _ = later;
    earlier
}
