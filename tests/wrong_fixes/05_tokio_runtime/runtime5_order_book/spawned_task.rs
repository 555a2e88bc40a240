//! Wrong fix: moves the loop into a task of its own (on the same thread) and awaits it.
// expect fail: ticks in a row on the runtime's only thread
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
    let replaying = tokio::spawn(async move {
        let mut applied = 0;
        for tick in &ticks {
            apply(tick);
            applied += 1;
        }
        applied
    });
    replaying.await.expect("the replay task panicked")
}
