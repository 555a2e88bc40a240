//! Wrong fix: calls tokio::task::yield_now() every 1,000 ticks but never awaits it (from the stranger's report).
// expect fail: ticks in a row on the runtime's only thread
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    pub price: u32,
    pub quantity: i64,
}

pub async fn replay<A>(ticks: Vec<Tick>, mut apply: A) -> usize
where
    A: FnMut(&Tick) + Send + 'static,
{
    let mut applied = 0;
    for tick in &ticks {
        apply(tick);
        applied += 1;
        if applied % 1000 == 0 {
            let _ = tokio::task::yield_now();
        }
    }
    applied
}
