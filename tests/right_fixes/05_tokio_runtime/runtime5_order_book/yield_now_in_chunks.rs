//! Correct alternative: applies the ticks in chunks of 256 and yields to the scheduler after each chunk.
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
    let mut applied = 0;
    for chunk in ticks.chunks(256) {
        for tick in chunk {
            apply(tick);
            applied += 1;
        }
        tokio::task::yield_now().await;
    }
    applied
}
