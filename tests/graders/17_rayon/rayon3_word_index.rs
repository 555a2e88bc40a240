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

/// How `difference` ends when a word's lines are all there, but out of order.
const ORDER: &str = " with a later line before an earlier one";

/// What is wrong with `got`, compared with `want`, in a few words; `None` if nothing. With
/// `figures`, it quotes the line numbers (only where they do not depend on timing).
fn difference(got: &Index, want: &Index, figures: bool) -> Option<String> {
    for (word, wanted) in want {
        let Some(listed) = got.get(word) else {
            return Some(format!(
                "the word {word:?} (on {} line(s)) is missing",
                wanted.len()
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
        return Some(if sorted == *wanted {
            format!("the word {word:?} lists its lines{quoted}{ORDER}")
        } else if listed.iter().all(|n| wanted.contains(n)) && listed.len() < wanted.len() {
            if figures {
                format!(
                    "the word {word:?} lists only lines {listed:?} of {wanted:?}: lines were lost"
                )
            } else {
                format!(
                    "the word {word:?} is missing some of its {} lines: lines were lost",
                    wanted.len()
                )
            }
        } else if figures {
            format!("the word {word:?} lists lines {listed:?} where {wanted:?} was expected")
        } else {
            format!(
                "the word {word:?} lists other lines than the {} expected",
                wanted.len()
            )
        });
    }
    got.keys()
        .find(|word| !want.contains_key(*word))
        .map(|word| format!("the word {word:?} is listed but no line has it"))
}

/// Proves that the items run in parallel, then makes them finish in an order the grader chose.
///
/// 1. The first two items to start wait for each other (up to `PATIENCE`): they meet only if
///    two run at the same time. Code that takes turns (a lock held over the work, a plain loop)
///    fails here however the threads are scheduled: the second item cannot start while the
///    first one waits.
/// 2. If they met, the chosen item is held back until a worker thread other than its own has
///    *started its second* item (so that worker had finished, and stored, its first one), or
///    until `PATIENCE` has passed. Parallel work therefore finishes some other item before the
///    chosen one, whatever the machine's load.
#[derive(Default)]
struct HoldBack {
    state: Mutex<Held>,
    changed: Condvar,
}

#[derive(Default)]
struct Held {
    /// Items started, per thread.
    starts: HashMap<ThreadId, usize>,
    arrived: usize,
    /// Whether the first two items met; `None` until decided.
    met: Option<bool>,
    /// Whether another worker got ahead of the chosen item; `None` if it was not held.
    overtaken: Option<bool>,
}

impl Held {
    fn got_ahead_of(&self, me: ThreadId) -> bool {
        self.starts
            .iter()
            .any(|(thread, started)| *thread != me && *started >= 2)
    }
}

impl HoldBack {
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

    /// Called at the start of every item; `chosen` for the item to hold back.
    fn start(&self, chosen: bool) {
        let me = thread::current().id();
        let mut held = self.state();
        *held.starts.entry(me).or_default() += 1;
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
        if chosen && held.met == Some(true) && held.overtaken.is_none() {
            held = self.wait_for(held, |held| held.got_ahead_of(me));
            held.overtaken = Some(held.got_ahead_of(me));
        }
    }

    /// Whether the first two items met; `None` if fewer than one started.
    fn met(&self) -> Option<bool> {
        self.state().met
    }

    fn overtaken(&self) -> Option<bool> {
        self.state().overtaken
    }
}

/// The lines of the held-back runs: the same words on every line, so every piece of the work
/// builds an index of the same size; line 0 is told apart by its case.
const HELD_LINE: &str = "Request OK: Cache Hit";
const OTHER_LINE: &str = "request ok - cache hit";

/// Indexes 16 lines on a 2-thread pool: the first two lines must meet, then line 0 is held
/// back until another worker got ahead of it. Returns the index, the expected one, the hold,
/// and where each line was analyzed.
fn index_with_first_line_held() -> (Index, Index, HoldBack, Placement) {
    let mut lines = vec![OTHER_LINE; 16];
    lines[0] = HELD_LINE;
    let hold = HoldBack::default();
    let placement = Placement::new();
    let index = pool(2).install(|| {
        index_words(&lines, |line| {
            placement.record(|| {
                hold.start(line == HELD_LINE);
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
    if let Some(wrong) = difference(&got, &want, true) {
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
        if let Some(wrong) = difference(&alone, side, true) {
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
    if let Some(wrong) = difference(&got, &want, true) {
        panic!(
            "on a 1-thread pool, where rayon still splits the 24 lines into two pieces, the \
             index came out wrong: {wrong}. The index must not depend on how rayon splits the \
             lines: merge the pieces' indexes with the earlier piece's lines first, keeping \
             every line"
        );
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
    let (_, _, hold, placement) = index_with_first_line_held();
    match hold.met() {
        Some(true) => {}
        Some(false) => panic!("{}", took_turns(&placement)),
        None => panic!("no line was analyzed: analyze every line"),
    }
}

#[test]
fn keeps_lines_ascending_when_lines_finish_out_of_order() {
    let (got, want, hold, _) = index_with_first_line_held();
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
    if let Some(wrong) = difference(&got, &want, false) {
        let fix = if wrong.ends_with(ORDER) {
            "a shared index gets each word's lines in the order the lines finish; give every \
             piece of the work an index of its own and merge them in the lines' order"
        } else {
            "every line of every piece must reach the index: merge must keep the lines of both \
             indexes"
        };
        panic!(
            "line 0 of 16 was held back on a 2-thread pool until another worker had analyzed a \
             line, and then {wrong}; {fix}"
        );
    }
}
