//! `HoldBack` and `Misorder`: parallel results gathered as they finished, per worker in pick-up
//! order, or in the input's order; items that took turns never meet. Decided by the holds, not
//! by timing, so every run of each fixture gives the same answer.

use std::sync::Mutex;
use std::time::Duration;

use asynclings_grading::prelude::*;
use rayon::prelude::*;

const PATIENCE: Duration = Duration::from_secs(2);
const ITEMS: usize = 8;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Known bad: each result pushed into a shared Vec when its item finishes.
#[test]
fn results_pushed_as_they_finish_are_as_finished() {
    let hold = HoldBack::new(ITEMS, PATIENCE);
    let finished = Mutex::new(Vec::new());
    pool(2).install(|| {
        (0..ITEMS).into_par_iter().for_each(|item| {
            hold.start(Some(item));
            finished.lock().unwrap().push(item);
        })
    });
    let order = finished.into_inner().unwrap();
    assert_eq!(hold.met(), Some(true));
    assert_eq!(hold.overtaken(), Some(true));
    assert_eq!(
        hold.misorder(&order),
        Some(Misorder::AsFinished),
        "{order:?}"
    );
}

/// Known bad: a parallel iterator that is not indexed (bridged from a sequential one) gathers
/// each worker's results together, in the order that worker picked its items up.
#[test]
fn results_of_a_bridged_iterator_are_as_picked_up() {
    use rayon::iter::ParallelBridge;
    let hold = HoldBack::new(ITEMS, PATIENCE);
    let order: Vec<usize> = pool(2).install(|| {
        (0..ITEMS)
            .par_bridge()
            .map(|item| {
                hold.start(Some(item));
                item
            })
            .collect()
    });
    assert_eq!(hold.met(), Some(true));
    assert_eq!(
        hold.misorder(&order),
        Some(Misorder::AsPickedUp),
        "{order:?}"
    );
}

/// Known bad: items that take turns (a lock held over the work) never meet.
#[test]
fn items_that_take_turns_never_meet() {
    let hold = HoldBack::new(4, Duration::from_millis(200));
    let turn = Mutex::new(());
    pool(2).install(|| {
        (0..4usize).into_par_iter().for_each(|item| {
            let _turn = turn.lock().unwrap();
            hold.start(Some(item));
        })
    });
    assert_eq!(hold.met(), Some(false));
}

/// Known good: an indexed parallel collect keeps every result at its item's index.
#[test]
fn an_indexed_collect_is_in_order() {
    let hold = HoldBack::new(ITEMS, PATIENCE);
    let order: Vec<usize> = pool(2).install(|| {
        (0..ITEMS)
            .into_par_iter()
            .map(|item| {
                hold.start(Some(item));
                item
            })
            .collect()
    });
    assert_eq!(hold.met(), Some(true));
    assert_eq!(hold.misorder(&order), None);
}

#[test]
fn runs_and_swapped_pieces_are_worded() {
    assert_eq!(runs(&[4, 5, 6, 7, 0, 1, 2, 3]), "4–7, 0–3");
    assert_eq!(runs(&[0, 2, 1]), "0, 2, 1");
    assert!(pieces_swapped(&[4, 5, 6, 7, 0, 1, 2, 3]));
    assert!(!pieces_swapped(&[0, 1, 2, 3]));
    assert!(!pieces_swapped(&[1, 0, 3, 2]));
}
