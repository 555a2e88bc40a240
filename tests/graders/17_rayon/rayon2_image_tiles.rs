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

/// Renders a 4 × 4 grid on a 2-thread pool: the first two tiles must meet, then tile (0, 0) is
/// held back until another worker got ahead of it. Returns the tiles, the result, the hold, and
/// where each render ran.
fn render_with_first_tile_held() -> (Vec<Tile>, Vec<Pixels>, HoldBack, Placement) {
    let tiles = grid(4, 4);
    let hold = HoldBack::default();
    let placement = Placement::new();
    let first = tiles[0];
    let rendered = pool(2).install(|| {
        render_tiles(&tiles, |tile| {
            placement.record(|| {
                hold.start(*tile == first);
                draw(tile)
            })
        })
    });
    (tiles, rendered, hold, placement)
}

/// The verdict when the first two tiles never met: the tiles took turns.
fn took_turns(tiles: &[Tile], placement: &Placement) -> String {
    let workers = placement.rayon_threads();
    let waited = format!(
        "the first tile to render waited {} for another to render alongside it, and none did",
        seconds(PATIENCE)
    );
    if workers.len() >= 2 {
        format!(
            "the tiles never rendered at the same time, although {} worker threads rendered \
             them: {waited}. The workers took turns: contention on a lock held while rendering \
             (a Mutex locked before render is called stays locked until the result is stored); \
             render outside any lock and let rayon gather the results",
            workers.len()
        )
    } else {
        format!(
            "rendered the {} tiles one after another on {} worker thread of the 2-thread pool: \
             {waited}; hand the tiles to a parallel iterator so that the idle worker can steal \
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
    match hold.met() {
        Some(true) => {}
        Some(false) => panic!("{}", took_turns(&tiles, &placement)),
        None => panic!("no tile was rendered: render every tile"),
    }
}

#[test]
fn keeps_grid_order_when_tiles_finish_out_of_order() {
    let (tiles, rendered, hold, _) = render_with_first_tile_held();
    if hold.met() != Some(true) {
        panic!(
            "could not check the order: no two tiles ever rendered at the same time (the first \
             waited {} for another), so no tile could finish before {} on purpose; see the \
             check \"renders tiles at the same time\"",
            seconds(PATIENCE),
            name(&tiles[0])
        );
    }
    match hold.overtaken() {
        Some(true) => {}
        Some(false) => panic!(
            "{} was held back for {} so that another tile would finish first, and no other \
             worker thread started a second tile meanwhile: the other tiles did not render \
             while it waited",
            name(&tiles[0]),
            seconds(PATIENCE)
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
