//! Wrong fix: bridges a sequential iterator over the tiles to rayon and collects. No lock, and
//! tiles render in parallel, but a bridged iterator is not indexed: each worker's tiles are
//! gathered in the order that worker pulled them, not at their tiles' places.
// expect fail: neither in the order of `tiles` nor in the order they finished
//! A map viewer draws a region as a grid of tiles, renders the tiles in parallel, then stitches
//! them into one picture. The stitcher takes the rendered tiles in the same order as the grid
//! it asked for (row by row), so the order of the result matters.
//!
//! `render_tiles(tiles, render)` calls `render(tile)` once for every tile, on the rayon pool it
//! is called from, and returns the rendered tiles in the order of `tiles`.
//!
//! Done when: several tiles render at the same time (nothing the workers share makes them take
//! turns); the result is in the order of `tiles` even when tiles finish out of order; every
//! tile is rendered exactly once (no tiles, no result).

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
    tiles.iter().par_bridge().map(render).collect()
}
