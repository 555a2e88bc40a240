//! Wrong fix: the loop moves to spawn_blocking, but its JoinHandle is never awaited (from the stranger's report).
// expect fail: replay returned before the day's
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    pub price: u32,
    pub quantity: i64,
}

pub async fn replay<A>(ticks: Vec<Tick>, mut apply: A) -> usize
where
    A: FnMut(&Tick) + Send + 'static,
{
    let n = ticks.len();
    let _ = tokio::task::spawn_blocking(move || {
        for tick in &ticks {
            apply(tick);
        }
    });
    n
}
