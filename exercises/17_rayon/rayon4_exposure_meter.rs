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
//!
//! Done when: several pieces are measured at the same time; every split cuts a piece into two
//! halves (3000 pixels into two of 1500); no piece handed to `measure` is longer than `CUTOFF`,
//! and none was split without need; every pixel is measured once (an empty photo measures 0).

/// The most pixels `measure` gets at once.
pub const CUTOFF: usize = 1024;

/// The photo's total brightness: the sum of `measure` over pieces of at most `CUTOFF` pixels.
pub fn exposure(pixels: &[u16], measure: &(impl Fn(&[u16]) -> u64 + Sync)) -> u64 {
    // TODO: this measures the whole photo in one go, on one thread. Split it in halves (see
    // `split_at`) while it is longer than CUTOFF, and work on both halves with `rayon::join`.
    measure(pixels)
}
