//! Correct alternative: a lock held only to push (index, pixels), sorted by index at the end
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

use std::sync::Mutex;

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
    // The render runs outside the lock; the lock is held for a push only. The pushes come in
    // the order the tiles finish, so each carries its tile's index, and a sort puts them back.
    let rendered = Mutex::new(Vec::with_capacity(tiles.len()));
    tiles.par_iter().enumerate().for_each(|(index, tile)| {
        let pixels = render(tile);
        rendered.lock().unwrap().push((index, pixels));
    });
    let mut rendered = rendered.into_inner().unwrap();
    rendered.sort_by_key(|(index, _)| *index);
    rendered.into_iter().map(|(_, pixels)| pixels).collect()
}
