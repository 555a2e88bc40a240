//! A map viewer draws a region as a grid of tiles, renders the tiles in parallel, then stitches
//! them into one picture. The stitcher takes the rendered tiles in the same order as the grid
//! it asked for (row by row), so the order of the result matters.
//!
//! `render_tiles(tiles, render)` calls `render(tile)` once for every tile, on the rayon pool it
//! is called from, and returns the rendered tiles in the order of `tiles`.

use rayon::prelude::*;

/// Where a tile sits in the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub column: u32,
    pub row: u32,
}

/// A rendered tile's pixels.
pub type Pixels = Vec<u8>;

/// Renders every tile; the result is in the order of `tiles`.
pub fn render_tiles(tiles: &[Tile], render: impl Fn(&Tile) -> Pixels + Sync + Send) -> Vec<Pixels> {
    // No shared Vec, no lock. The shipped version had two problems with its `Mutex<Vec>`:
    // - `rendered.lock().unwrap().push(render(tile))` takes the lock *before* it evaluates the
    //   argument, so every render ran with the lock held: the workers took turns (contention),
    //   and the parallel iterator was parallel in name only;
    // - even with the render moved out of the lock, `push` records the order in which tiles
    //   *finish*, which changes from run to run.
    // `par_iter` over a slice is an indexed parallel iterator: `collect` writes each result at
    // its item's index, so the output has the input's order however the work was split and
    // whichever worker finished first.
    tiles.par_iter().map(render).collect()
}
