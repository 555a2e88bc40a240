use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{Index, index_words, merge};

/// How long the held line waits for other workers to get ahead of it. A free worker starts in
/// microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

/// The grader's analyzer: lowercase words, punctuation dropped.
fn analyze(line: &str) -> Vec<String> {
    line.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The index a sequential loop builds.
fn sequential_index(lines: &[&str]) -> Index {
    let mut index = Index::new();
    for (number, line) in lines.iter().enumerate() {
        for word in analyze(line) {
            let numbers = index.entry(word).or_default();
            if numbers.last() != Some(&number) {
                numbers.push(number);
            }
        }
    }
    index
}

fn index_of(entries: &[(&str, &[usize])]) -> Index {
    entries
        .iter()
        .map(|(word, numbers)| ((*word).to_owned(), numbers.to_vec()))
        .collect()
}

/// What is wrong with one word's lines.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Wrong {
    /// A word the index should have is not there.
    Missing,
    /// A line is listed more than once for the same word.
    Twice,
    /// All the lines are there, but not ascending.
    Order,
    /// Some lines are missing.
    Lost,
    /// Other lines than expected.
    Other,
    /// A word that no line has.
    Extra,
}

/// What is wrong with `got`, compared with `want`, in a few words; `None` if nothing. With
/// `figures`, it quotes the line numbers (only where they do not depend on timing).
fn difference(got: &Index, want: &Index, figures: bool) -> Option<(Wrong, String)> {
    for (word, wanted) in want {
        let Some(listed) = got.get(word) else {
            return Some((
                Wrong::Missing,
                format!("the word {word:?} (on {} line(s)) is missing", wanted.len()),
            ));
        };
        if listed == wanted {
            continue;
        }
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        let quoted = if figures {
            format!(" {listed:?}")
        } else {
            String::new()
        };
        if let Some(twice) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            let line = if figures {
                format!("line {} more than once ({listed:?})", twice[0])
            } else {
                "a line more than once".to_owned()
            };
            return Some((Wrong::Twice, format!("the word {word:?} lists {line}")));
        }
        return Some(if sorted == *wanted {
            (
                Wrong::Order,
                format!(
                    "the word {word:?} lists its lines{quoted} with a later line before an \
                     earlier one"
                ),
            )
        } else if listed.iter().all(|n| wanted.contains(n)) && listed.len() < wanted.len() {
            (
                Wrong::Lost,
                if figures {
                    format!(
                        "the word {word:?} lists only lines {listed:?} of {wanted:?}: lines were \
                         lost"
                    )
                } else {
                    format!(
                        "the word {word:?} is missing some of its {} lines: lines were lost",
                        wanted.len()
                    )
                },
            )
        } else if figures {
            (
                Wrong::Other,
                format!("the word {word:?} lists lines {listed:?} where {wanted:?} was expected"),
            )
        } else {
            (
                Wrong::Other,
                format!(
                    "the word {word:?} lists other lines than the {} expected",
                    wanted.len()
                ),
            )
        });
    }
    got.keys()
        .find(|word| !want.contains_key(*word))
        .map(|word| {
            (
                Wrong::Extra,
                format!("the word {word:?} is listed but no line has it"),
            )
        })
}

/// The fix for a word listing a line more than once.
const ONCE_PER_LINE: &str = "a word that appears more than once on a line lists that line \
                             once (each line once per word)";

/// The words of every line of the held-back runs: the same words on every line, so every
/// piece of the work builds an index of the same size (merging the smaller index into the
/// larger one cannot swap the sides). Lines are told apart by which words are in capitals.
const WORDS: [&str; 4] = ["request", "ok", "cache", "hit"];
/// The word whose lines show the order in which lines reached the index (every line has it).
const EVERY_LINE: &str = "cache";

/// 16 lines, each `WORDS` with the words at the set bits of its number in capitals.
fn lines_told_apart() -> Vec<String> {
    (0..16)
        .map(|number: usize| {
            WORDS
                .iter()
                .enumerate()
                .map(|(bit, word)| {
                    if number & (1 << bit) == 0 {
                        (*word).to_owned()
                    } else {
                        word.to_uppercase()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Indexes the 16 lines on a 2-thread pool under a `HoldBack`. Returns the index, the expected
/// one, the hold, and where each line was analyzed.
fn index_with_lines_held() -> (Index, Index, HoldBack, Placement) {
    let owned = lines_told_apart();
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    let hold = HoldBack::new(lines.len(), PATIENCE);
    let placement = Placement::new();
    let index = pool(2).install(|| {
        index_words(&lines, |line| {
            placement.record(|| {
                hold.start(lines.iter().position(|l| *l == line));
                analyze(line)
            })
        })
    });
    (index, sequential_index(&lines), hold, placement)
}

/// The verdict when the first two lines never met: the lines took turns.
fn took_turns(placement: &Placement) -> String {
    let workers = placement.rayon_threads();
    let waited = format!(
        "the first line to be analyzed waited {} for another to be analyzed alongside it, and \
         none was",
        seconds(PATIENCE)
    );
    if workers.len() >= 2 {
        format!(
            "the lines were never analyzed at the same time, although {} worker threads \
             analyzed them: {waited}. The workers took turns: contention on a lock held while \
             analyzing (the shared index's lock); analyze without holding any lock, and give \
             each piece of the work an index of its own",
            workers.len()
        )
    } else {
        format!(
            "analyzed the 16 lines one after another on {} worker thread of the 2-thread pool: \
             {waited}; use a parallel iterator over the lines so that the idle worker can steal \
             half of them",
            workers.len()
        )
    }
}

#[test]
fn merge_keeps_the_earlier_lines_first() {
    let earlier = index_of(&[("disk", &[1, 4]), ("full", &[4])]);
    // The later index is the larger one: merging the smaller map into the larger would swap
    // the sides.
    let later = index_of(&[
        ("disk", &[7]),
        ("node", &[7, 9]),
        ("retry", &[8, 9]),
        ("timeout", &[9]),
    ]);
    let want = index_of(&[
        ("disk", &[1, 4, 7]),
        ("full", &[4]),
        ("node", &[7, 9]),
        ("retry", &[8, 9]),
        ("timeout", &[9]),
    ]);
    let got = merge(earlier.clone(), later.clone());
    if let Some((_, wrong)) = difference(&got, &want, true) {
        panic!(
            "merge(earlier, later) went wrong: {wrong}. Every line of `earlier` comes before \
             every line of `later`: keep all the lines of both, earlier's first, whichever \
             index is larger"
        );
    }
    for (name, side) in [("earlier", &earlier), ("later", &later)] {
        let alone = if name == "earlier" {
            merge(side.clone(), Index::new())
        } else {
            merge(Index::new(), side.clone())
        };
        if let Some((_, wrong)) = difference(&alone, side, true) {
            panic!(
                "merging an empty index changed the other one: {wrong}. Rayon's reduce starts \
                 pieces from an empty index and merges it in, so an empty index must change \
                 nothing"
            );
        }
    }
}

#[test]
fn the_index_is_right_when_rayon_splits_the_lines() {
    // Even a 1-thread pool splits 24 lines into two pieces (0-11 and 12-23), and here the
    // second piece has more distinct words than the first.
    let lines: Vec<&str> = vec![
        "disk full",
        "retry write",
        "disk full, retry",
        "",
        "retry retry",
        "disk ok",
        "write ok",
        "disk full",
        "retry",
        "write",
        "ok",
        "disk",
        "timeout on node b",
        "node b restart",
        "gc pause",
        "disk slow on node c",
        "retry after timeout",
        "gc pause long",
        "cache miss",
        "cache hit",
        "node c ok",
        "restart done",
        "disk full again",
        "retry ok",
    ];
    let want = sequential_index(&lines);
    let calls = AtomicUsize::new(0);
    let got = pool(1).install(|| {
        index_words(&lines, |line| {
            calls.fetch_add(1, Ordering::SeqCst);
            analyze(line)
        })
    });
    let calls = calls.into_inner();
    assert!(
        calls == lines.len(),
        "called analyze {calls} times for {} lines: analyze every line exactly once",
        lines.len()
    );
    match difference(&got, &want, true) {
        None => {}
        Some((Wrong::Twice, wrong)) => panic!("{wrong}: {ONCE_PER_LINE}"),
        Some((_, wrong)) => panic!(
            "on a 1-thread pool, where rayon still splits the 24 lines into two pieces, the \
             index came out wrong: {wrong}. The index must not depend on how rayon splits the \
             lines: merge the pieces' indexes with the earlier piece's lines first, keeping \
             every line"
        ),
    }
    let empty = pool(1).install(|| index_words(&[], analyze));
    assert!(
        empty.is_empty(),
        "indexing no lines gave {} word(s): no lines, no words",
        empty.len()
    );
}

#[test]
fn analyzes_lines_at_the_same_time() {
    let (_, _, hold, placement) = index_with_lines_held();
    match hold.met() {
        Some(true) => {}
        Some(false) => panic!("{}", took_turns(&placement)),
        None => panic!("no line was analyzed: analyze every line"),
    }
}

#[test]
fn lists_a_line_once_for_each_word() {
    // Three lines cannot be split into pieces that share a line: a line listed twice was
    // listed twice by the piece that analyzed it.
    let lines = ["retry, retry", "disk full: disk", "ok"];
    let want = sequential_index(&lines);
    let got = pool(1).install(|| index_words(&lines, analyze));
    match difference(&got, &want, true) {
        None => {}
        Some((Wrong::Twice, wrong)) => panic!("{wrong}: {ONCE_PER_LINE}"),
        Some((_, wrong)) => panic!(
            "indexing {lines:?} went wrong: {wrong}; list every word's lines, ascending, each \
             once"
        ),
    }
}

#[test]
fn keeps_lines_ascending_when_lines_finish_out_of_order() {
    // First without any timing: on one thread, lines finish in order, and rayon still splits
    // the 16 lines into two pieces of 8.
    let owned = lines_told_apart();
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    let got = pool(1).install(|| index_words(&lines, analyze));
    if let Some((kind, wrong)) = difference(&got, &sequential_index(&lines), false) {
        let seen = "on a 1-thread pool, where lines finish in order and rayon splits the 16 \
                    lines into two pieces of 8";
        let listed = got.get(EVERY_LINE).cloned().unwrap_or_default();
        panic!(
            "{}",
            match kind {
                Wrong::Order if pieces_swapped(&listed) => format!(
                    "{seen}, the word {EVERY_LINE:?} lists lines {}: the pieces' indexes were \
                     merged with the later piece's lines first; merge must put the lines of \
                     `earlier` before those of `later`",
                    runs(&listed)
                ),
                Wrong::Twice => format!("{seen}, {wrong}: {ONCE_PER_LINE}"),
                Wrong::Lost | Wrong::Missing => format!(
                    "{seen}, {wrong} when the pieces' indexes were merged: merge must keep \
                     every line of both"
                ),
                _ => format!(
                    "{seen}, {wrong}: merge the pieces' indexes with the earlier piece's lines \
                     first, keeping every line"
                ),
            }
        );
    }

    let (got, want, hold, _) = index_with_lines_held();
    if hold.met() != Some(true) {
        panic!(
            "could not check the order: no two lines were ever analyzed at the same time (the \
             first waited {} for another), so no line could finish before line 0 on purpose; \
             see the check \"analyzes lines at the same time\"",
            seconds(PATIENCE)
        );
    }
    match hold.overtaken() {
        Some(true) => {}
        Some(false) => panic!(
            "line 0 was held back for {} so that another line would finish first, and no other \
             worker thread started a second line meanwhile: the other lines were not analyzed \
             while it waited",
            seconds(PATIENCE)
        ),
        None => panic!("line 0 was never analyzed: analyze every line"),
    }
    // Which lines finish first after line 0 is let go is up to the machine: no figures here.
    let Some((kind, wrong)) = difference(&got, &want, false) else {
        return;
    };
    let held = "line 0 of 16 was held back on a 2-thread pool until another worker had analyzed \
                a line";
    let fix = match kind {
        Wrong::Order => match hold.misorder(got.get(EVERY_LINE).map_or(&[][..], Vec::as_slice)) {
            Some(Misorder::AsPickedUp) => {
                "the lines reached the index neither in their order nor in the order they \
                 finished, but each worker's lines together, in the order it picked them up: the \
                 pieces were not runs of consecutive lines (a parallel iterator that is not \
                 indexed, one bridged from a sequential iterator, splits that way), and merge \
                 relies on every line of `earlier` coming before every line of `later`; use an \
                 indexed parallel iterator over the lines"
            }
            _ => {
                "a shared index gets each word's lines in the order the lines finish; give every \
                 piece of the work an index of its own and merge them in the lines' order"
            }
        },
        Wrong::Twice => ONCE_PER_LINE,
        _ => {
            "every line of every piece must reach the index: merge must keep the lines of both \
             indexes"
        }
    };
    panic!("{held}, and then {wrong}; {fix}");
}
