//! Wrong fix: runs the loop inside block_in_place.
// expect fail: called block_in_place on the gateway's current-thread runtime
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    pub price: u32,
    pub quantity: i64,
}

/// Replays `ticks` through `apply`, in order; returns the number of ticks applied.
pub async fn replay<A>(ticks: Vec<Tick>, mut apply: A) -> usize
where
    A: FnMut(&Tick) + Send + 'static,
{
    tokio::task::block_in_place(move || {
        let mut applied = 0;
        for tick in &ticks {
            apply(tick);
            applied += 1;
        }
        applied
    })
}
