//! Correct alternative: the whole loop on tokio's blocking pool, awaited from the runtime.
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
    tokio::task::spawn_blocking(move || {
        ticks.iter().for_each(&mut apply);
        ticks.len()
    })
    .await
    .expect("the replay panicked")
}
