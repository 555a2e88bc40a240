use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{Pixels, Tile, render_tiles};

/// How long a held tile waits for other workers to get ahead of it. A free worker starts in
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

/// The index in `tiles` of every rendered tile, in the order they came back; `None` unless
/// every tile came back exactly once.
fn tile_order(tiles: &[Tile], rendered: &[Pixels]) -> Option<Vec<usize>> {
    let index: HashMap<Pixels, usize> = tiles
        .iter()
        .enumerate()
        .map(|(at, tile)| (draw(tile), at))
        .collect();
    let order: Vec<usize> = rendered
        .iter()
        .map(|pixels| index.get(pixels).copied())
        .collect::<Option<_>>()?;
    let mut seen = vec![false; tiles.len()];
    for &at in &order {
        if std::mem::replace(&mut seen[at], true) {
            return None;
        }
    }
    (order.len() == tiles.len()).then_some(order)
}

/// Renders `tiles` on a 1-thread pool, where every tile finishes in the grid's order; returns
/// how many times render was called and the result.
fn render_on_one_thread(tiles: &[Tile]) -> (usize, Vec<Pixels>) {
    let calls = AtomicUsize::new(0);
    let rendered = pool(1).install(|| {
        render_tiles(tiles, |tile| {
            calls.fetch_add(1, Ordering::SeqCst);
            draw(tile)
        })
    });
    (calls.into_inner(), rendered)
}

/// The verdict when the tiles came back out of order on one thread, where nothing finishes
/// out of order: the order was lost where the pieces' results were put together.
fn joined_out_of_order(order: &[usize], columns: u32, rows: u32) -> String {
    let seen = format!(
        "on a 1-thread pool, where every tile finishes in the grid's order, the {} tiles of a \
         {columns} × {rows} grid came back as tiles {} (by their place in `tiles`)",
        order.len(),
        runs(order)
    );
    if pieces_swapped(order) {
        format!(
            "{seen}: the pieces rayon split the grid into were put together the wrong way \
             round; when the results of two pieces are joined, the left (earlier) piece's go \
             first"
        )
    } else {
        format!(
            "{seen}: the order was lost where the results were put together; keep each result \
             at its tile's index"
        )
    }
}

/// Renders a 4 × 4 grid on a 2-thread pool under a `HoldBack`. Returns the tiles, the result,
/// the hold, and where each render ran.
fn render_with_tiles_held() -> (Vec<Tile>, Vec<Pixels>, HoldBack, Placement) {
    let tiles = grid(4, 4);
    let hold = HoldBack::new(tiles.len(), PATIENCE);
    let placement = Placement::new();
    let rendered = pool(2).install(|| {
        render_tiles(&tiles, |tile| {
            placement.record(|| {
                hold.start(tiles.iter().position(|t| t == tile));
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
    // On one thread nothing finishes out of order: what matters here is the content.
    for (columns, rows) in [(0, 0), (1, 1), (3, 2), (5, 4)] {
        let tiles = grid(columns, rows);
        let (calls, rendered) = render_on_one_thread(&tiles);
        assert!(
            calls == tiles.len(),
            "called render {calls} times for {} tile(s): render every tile exactly once",
            tiles.len()
        );
        let Some(order) = tile_order(&tiles, &rendered) else {
            panic!(
                "for a {columns} × {rows} grid, returned {} rendered tile(s) that are not the \
                 renders of the {} tiles, each once: return what render returned for each tile, \
                 in the tiles' order",
                rendered.len(),
                tiles.len()
            );
        };
        if !order.windows(2).all(|pair| pair[0] < pair[1]) {
            panic!("{}", joined_out_of_order(&order, columns, rows));
        }
    }
}

#[test]
fn renders_tiles_at_the_same_time() {
    let (tiles, _, hold, placement) = render_with_tiles_held();
    match hold.met() {
        Some(true) => {}
        Some(false) => panic!("{}", took_turns(&tiles, &placement)),
        None => panic!("no tile was rendered: render every tile"),
    }
}

#[test]
fn keeps_grid_order_when_tiles_finish_out_of_order() {
    // First without any timing: on one thread, tiles finish in the grid's order.
    let tiles = grid(4, 4);
    let (_, rendered) = render_on_one_thread(&tiles);
    if let Some(order) = tile_order(&tiles, &rendered)
        && !order.windows(2).all(|pair| pair[0] < pair[1])
    {
        panic!("{}", joined_out_of_order(&order, 4, 4));
    }

    let (tiles, rendered, hold, _) = render_with_tiles_held();
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
    let Some(order) = tile_order(&tiles, &rendered) else {
        panic!(
            "returned {} rendered tiles for {} tiles on a 2-thread pool, not every tile's \
             render once: render every tile exactly once",
            rendered.len(),
            tiles.len()
        );
    };
    match hold.misorder(&order) {
        None => {}
        Some(Misorder::AsFinished) => panic!(
            "returned the tiles in the order they finished, not in the order of `tiles`: of \
             the {} tiles on a 2-thread pool, {} was held back until another worker had \
             rendered a tile, and it came back after that tile. A push into a shared Vec \
             records when each tile finished; let rayon collect the results, which keeps each \
             one at its tile's index",
            tiles.len(),
            name(&tiles[0]),
        ),
        Some(Misorder::AsPickedUp) => panic!(
            "returned the tiles neither in the order of `tiles` nor in the order they \
             finished: of the {} tiles on a 2-thread pool, {} was held back until the other \
             worker had started two tiles, and the second of those until {}'s worker had \
             moved on, and the result kept each worker's tiles together, in the order that \
             worker picked them up. A parallel iterator that is not indexed (one bridged from \
             a sequential iterator) gathers that way; gather with an indexed one, which puts \
             each result at its tile's index",
            tiles.len(),
            name(&tiles[0]),
            name(&tiles[0]),
        ),
    }
}
