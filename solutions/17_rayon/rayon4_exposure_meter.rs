//! A camera app meters a photo before it sets the exposure: it adds up the brightness of every
//! pixel. `measure(run)` is the sensor library's routine that adds up one run of pixels,
//! sequentially. A photo has millions of pixels, so `exposure` divides and conquers: it splits
//! the pixels in two halves, works on both halves at once with `rayon::join`, splits those
//! again, and so on, until a piece is small enough to measure in one go.
//!
//! `exposure(pixels, measure)` returns the sum of `measure(piece)` over pieces that cover every
//! pixel exactly once. A piece longer than `CUTOFF` pixels is split in two halves that are
//! worked on in parallel; a piece of at most `CUTOFF` pixels is measured as it is (the
//! sequential cutoff: on smaller pieces a split costs more than the work it shares out).

/// The most pixels `measure` gets at once.
pub const CUTOFF: usize = 1024;

/// The photo's total brightness: the sum of `measure` over pieces of at most `CUTOFF` pixels.
pub fn exposure(pixels: &[u16], measure: &(impl Fn(&[u16]) -> u64 + Sync)) -> u64 {
    // The sequential cutoff. Without it the recursion would go down to single pixels: one
    // `rayon::join` (a job pushed, perhaps stolen, then waited for) per pixel, far more
    // bookkeeping than adding up one pixel is worth.
    if pixels.len() <= CUTOFF {
        return measure(pixels);
    }
    // `split_at` gives two halves that share no pixel and miss none.
    let (left, right) = pixels.split_at(pixels.len() / 2);
    // `join` runs the left half on this thread and leaves the right half where an idle worker
    // can steal it (work stealing); if nobody does, this thread runs it after the left half.
    // Both halves split again, so the pool's threads soon all have pieces to work on.
    let (left, right) = rayon::join(|| exposure(left, measure), || exposure(right, measure));
    left + right
}
