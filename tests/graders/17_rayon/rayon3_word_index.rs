use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

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

/// Proves that the items of one parallel call run at the same time, then makes them finish in
/// an order the grader chose. Items are named by their index in the input; `None` for an item
/// the grader cannot place (it counts as started, but is never held).
///
/// 1. The first two items to start wait for each other (up to `PATIENCE`): they meet only if
///    two run at the same time. Code that takes turns (a lock held over the work, a plain loop)
///    fails here however the threads are scheduled: the second item cannot start while the
///    first one waits.
/// 2. If they met, item 0 is held back until a worker thread other than its own has started
///    its second item (so that worker had finished its first one), or until `PATIENCE` has
///    passed. Parallel work therefore finishes some other item before item 0.
/// 3. The start that lets item 0 go (that worker's second item) is itself held back, in the
///    middle of the work, until another thread starts an item after it (item 0's thread, once
///    item 0 is done), or until every item has started. Each worker then has taken items on
///    both sides of the other's: results gathered per worker, in the order each worker picked
///    its items up, cannot come out in the input's order.
///
/// Whatever the split, results stored as they finish then have the first item of the worker
/// that got ahead before item 0, and item 0 before the second held item.
struct HoldBack {
    items: usize,
    state: Mutex<Held>,
    changed: Condvar,
}

#[derive(Default)]
struct Held {
    /// Items started, per thread, in the order each thread started them.
    started: HashMap<ThreadId, Vec<Option<usize>>>,
    total: usize,
    arrived: usize,
    /// Whether the first two items met; `None` until decided.
    met: Option<bool>,
    /// The thread that started item 0.
    first_thread: Option<ThreadId>,
    /// Whether another worker got ahead of item 0; `None` if it was not held.
    overtaken: Option<bool>,
    /// The first item of the worker that got ahead of item 0: it finished before item 0.
    finished_first: Option<usize>,
    /// The item held back second, and whether another thread started an item meanwhile.
    second: Option<(usize, Option<bool>)>,
}

impl Held {
    /// The first item of a thread other than `me` that has started two items, if any.
    fn ahead_of(&self, me: ThreadId) -> Option<Option<usize>> {
        self.started
            .iter()
            .find(|(thread, items)| **thread != me && items.len() >= 2)
            .map(|(_, items)| items[0])
    }
}

impl HoldBack {
    fn new(items: usize) -> Self {
        Self {
            items,
            state: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, Held> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (up to `PATIENCE`) until `done` holds; returns the guard either way.
    fn wait_for<'a>(
        &self,
        mut held: MutexGuard<'a, Held>,
        done: impl Fn(&Held) -> bool,
    ) -> MutexGuard<'a, Held> {
        let deadline = Instant::now() + PATIENCE;
        while !done(&held) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            held = self
                .changed
                .wait_timeout(held, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        held
    }

    /// Called at the start of every item.
    fn start(&self, item: Option<usize>) {
        let me = thread::current().id();
        let mut held = self.state();
        let mine = held.started.entry(me).or_default();
        mine.push(item);
        let my_starts = mine.len();
        held.total += 1;
        if item == Some(0) {
            held.first_thread = Some(me);
        }
        self.changed.notify_all();
        if held.met.is_none() {
            held.arrived += 1;
            if held.arrived >= 2 {
                held.met = Some(true);
                self.changed.notify_all();
            } else {
                held = self.wait_for(held, |held| held.met.is_some());
                if held.met.is_none() {
                    held.met = Some(false);
                    self.changed.notify_all();
                }
            }
        }
        // This start lets item 0 go: hold it back in turn, until another thread moves on.
        let releases_first = held.met == Some(true)
            && held.first_thread.is_some_and(|first| first != me)
            && held.overtaken.is_none()
            && held.second.is_none()
            && my_starts >= 2;
        if let (true, Some(item)) = (releases_first, item) {
            held.second = Some((item, None));
            let total_then = held.total;
            held = self.wait_for(held, |held| {
                held.total > total_then || held.total >= self.items
            });
            let moved_on = held.total > total_then;
            held.second = Some((item, Some(moved_on)));
            self.changed.notify_all();
        }
        if item == Some(0) && held.met == Some(true) && held.overtaken.is_none() {
            held = self.wait_for(held, |held| held.ahead_of(me).is_some());
            let ahead = held.ahead_of(me);
            held.overtaken = Some(ahead.is_some());
            held.finished_first = ahead.flatten();
            self.changed.notify_all();
        }
    }

    /// Whether the first two items met; `None` if fewer than one started.
    fn met(&self) -> Option<bool> {
        self.state().met
    }

    fn overtaken(&self) -> Option<bool> {
        self.state().overtaken
    }

    /// How `order` (the input indices, as the results came back) is out of order, if it is.
    fn misorder(&self, order: &[usize]) -> Option<Misorder> {
        if order.windows(2).all(|pair| pair[0] < pair[1]) {
            return None;
        }
        let held = self.state();
        let position = |item: usize| order.iter().position(|&i| i == item);
        let before =
            |a: usize, b: usize| matches!((position(a), position(b)), (Some(a), Some(b)) if a < b);
        let after_its_overtaker = held.finished_first.is_some_and(|first| before(first, 0));
        let before_the_second = match held.second {
            Some((second, Some(true))) => before(0, second),
            _ => true,
        };
        Some(if after_its_overtaker && before_the_second {
            Misorder::AsFinished
        } else {
            Misorder::AsPickedUp
        })
    }
}

/// How results that are all there came back out of the input's order.
#[derive(Debug, PartialEq)]
enum Misorder {
    /// In the order they finished: stored as they came in (a push into a shared collection).
    AsFinished,
    /// Neither in the input's order nor as they finished: each worker's results kept together,
    /// in the order that worker picked its items up.
    AsPickedUp,
}

/// `order` (input indices) as runs of consecutive indices: "8–15, 0–7".
fn runs(order: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &item in order {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == item => *last = item,
            _ => runs.push((item, item)),
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .take(8)
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            }
        })
        .collect();
    let more = if runs.len() > 8 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Whether `order` is made of runs of consecutive indices, each in order, put together in
/// another order: what joining pieces the wrong way round gives.
fn pieces_swapped(order: &[usize]) -> bool {
    let runs = order
        .windows(2)
        .filter(|pair| pair[0] + 1 != pair[1])
        .count()
        + 1;
    runs > 1 && runs <= order.len() / 2
}

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
    let hold = HoldBack::new(lines.len());
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
