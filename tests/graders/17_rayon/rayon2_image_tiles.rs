use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{Pixels, Tile, render_tiles};

/// How long the held tile waits for other workers to get ahead of it. A free worker starts in
/// microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

/// A grid of `columns` × `rows` tiles, row by row.
fn grid(columns: u32, rows: u32) -> Vec<Tile> {
    (0..rows)
        .flat_map(|row| (0..columns).map(move |column| Tile { column, row }))
        .collect()
}

/// The grader's rendering: a few bytes that tell the tiles apart.
fn draw(tile: &Tile) -> Pixels {
    let (column, row) = (tile.column as u8, tile.row as u8);
    vec![column, row, column.wrapping_mul(7) ^ row.wrapping_mul(13)]
}

fn name(tile: &Tile) -> String {
    format!("tile ({}, {})", tile.column, tile.row)
}

/// Holds back the work of one chosen item until a worker thread other than its own has
/// *started its second* item (so that worker had finished, and stored, its first one), or
/// until `PATIENCE` has passed. Work that really runs in parallel therefore finishes some
/// other item before the held one, whatever the machine's load: a completion order the grader
/// chose, not one left to chance.
#[derive(Default)]
struct HoldBack {
    state: Mutex<Held>,
    changed: Condvar,
}

#[derive(Default)]
struct Held {
    /// Items started, per thread (the held item aside).
    starts: HashMap<ThreadId, usize>,
    /// `Some(true)`: another worker got ahead; `Some(false)`: the held item gave up waiting.
    overtaken: Option<bool>,
    /// Items other threads started while the held item waited.
    started_meanwhile: usize,
    waiting: bool,
}

impl HoldBack {
    fn state(&self) -> MutexGuard<'_, Held> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called at the start of every item but the held one.
    fn start(&self) {
        let mut held = self.state();
        *held.starts.entry(thread::current().id()).or_default() += 1;
        if held.waiting {
            held.started_meanwhile += 1;
        }
        self.changed.notify_all();
    }

    /// Called at the start of the held item: waits until another worker has got ahead.
    fn hold(&self) {
        let me = thread::current().id();
        let mut held = self.state();
        if held.overtaken.is_some() {
            return;
        }
        held.waiting = true;
        let deadline = Instant::now() + PATIENCE;
        loop {
            if held
                .starts
                .iter()
                .any(|(thread, n)| *thread != me && *n >= 2)
            {
                held.overtaken = Some(true);
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                held.overtaken = Some(false);
                break;
            }
            held = self
                .changed
                .wait_timeout(held, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        held.waiting = false;
    }

    /// `None` if the held item never ran.
    fn overtaken(&self) -> Option<bool> {
        self.state().overtaken
    }

    fn started_meanwhile(&self) -> usize {
        self.state().started_meanwhile
    }
}

/// Renders a 4 × 4 grid on a 2-thread pool, holding tile (0, 0) back until another worker got
/// ahead of it. Returns the result, the hold, and where each render ran.
fn render_with_first_tile_held() -> (Vec<Tile>, Vec<Pixels>, HoldBack, Placement) {
    let tiles = grid(4, 4);
    let hold = HoldBack::default();
    let placement = Placement::new();
    let first = tiles[0];
    let rendered = pool(2).install(|| {
        render_tiles(&tiles, |tile| {
            placement.record(|| {
                if *tile == first {
                    hold.hold();
                } else {
                    hold.start();
                }
                draw(tile)
            })
        })
    });
    (tiles, rendered, hold, placement)
}

fn others(count: usize) -> String {
    match count {
        0 => "no other tile".to_owned(),
        1 => "only 1 other tile".to_owned(),
        n => format!("only {n} other tiles"),
    }
}

/// The verdict when no other tile got ahead of the held one: the tiles took turns.
fn took_turns(tiles: &[Tile], hold: &HoldBack, placement: &Placement) -> String {
    let workers = placement.rayon_threads();
    let held = format!(
        "{} was held back for {} and {} started meanwhile",
        name(&tiles[0]),
        seconds(PATIENCE),
        others(hold.started_meanwhile())
    );
    if workers.len() >= 2 {
        format!(
            "the tiles never rendered at the same time, although {} worker threads rendered \
             them: {held}. The workers took turns: contention on a lock held while rendering (a \
             Mutex locked before render is called stays locked until the result is stored); \
             render outside any lock and let rayon gather the results",
            workers.len()
        )
    } else {
        format!(
            "rendered the {} tiles one after another on {} worker thread of the 2-thread pool: \
             {held}; hand the tiles to a parallel iterator so that the idle worker can steal \
             half of them",
            tiles.len(),
            workers.len()
        )
    }
}

#[test]
fn renders_every_tile_once() {
    // On one thread the order cannot go wrong by chance; what matters here is the content.
    for (columns, rows) in [(0, 0), (1, 1), (3, 2), (5, 4)] {
        let tiles = grid(columns, rows);
        let calls = AtomicUsize::new(0);
        let rendered = pool(1).install(|| {
            render_tiles(&tiles, |tile| {
                calls.fetch_add(1, Ordering::SeqCst);
                draw(tile)
            })
        });
        let calls = calls.into_inner();
        assert!(
            calls == tiles.len(),
            "called render {calls} times for {} tile(s): render every tile exactly once",
            tiles.len()
        );
        let want: Vec<Pixels> = tiles.iter().map(draw).collect();
        assert!(
            rendered == want,
            "for a {columns} × {rows} grid, returned {} rendered tile(s) that are not the \
             tiles' renders in the order of `tiles` ({} expected): return what render \
             returned for each tile, in the tiles' order",
            rendered.len(),
            want.len()
        );
    }
}

#[test]
fn renders_tiles_at_the_same_time() {
    let (tiles, _, hold, placement) = render_with_first_tile_held();
    match hold.overtaken() {
        Some(true) => {}
        Some(false) => panic!("{}", took_turns(&tiles, &hold, &placement)),
        None => panic!("{} was never rendered: render every tile", name(&tiles[0])),
    }
}

#[test]
fn keeps_grid_order_when_tiles_finish_out_of_order() {
    let (tiles, rendered, hold, _) = render_with_first_tile_held();
    match hold.overtaken() {
        Some(true) => {}
        Some(false) => panic!(
            "could not check the order: {} was held back for {} so that other tiles would \
             finish first, and {} started meanwhile: the tiles did not render at the same time \
             (see the check \"renders tiles at the same time\")",
            name(&tiles[0]),
            seconds(PATIENCE),
            others(hold.started_meanwhile())
        ),
        None => panic!("{} was never rendered: render every tile", name(&tiles[0])),
    }
    let want: Vec<Pixels> = tiles.iter().map(draw).collect();
    if rendered.len() != want.len() {
        panic!(
            "returned {} rendered tiles for {} tiles: render every tile exactly once",
            rendered.len(),
            want.len()
        );
    }
    if rendered != want {
        let held = match rendered.iter().position(|pixels| *pixels == want[0]) {
            Some(0) => "it still came first, but other tiles were out of place".to_owned(),
            Some(_) => "it no longer came first".to_owned(),
            None => "it was missing".to_owned(),
        };
        panic!(
            "returned the tiles in the order they finished, not in the order of `tiles`: of \
             the {} tiles on a 2-thread pool, {} was held back until another worker had \
             rendered a tile, and {held}. A push into a shared Vec records when each tile \
             finished; let rayon collect the results, which keeps each one at its tile's index",
            want.len(),
            name(&tiles[0]),
        );
    }
}
