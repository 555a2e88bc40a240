//! A trading gateway's order-book replay that shares its runtime's thread: it gives the other
//! tasks a turn as it goes.

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
    for tick in &ticks {
        apply(tick);
        applied += 1;
        // On a current-thread runtime the other tasks run only when this task returns Pending.
        // `consume_budget` does so once the task has used up its share of the scheduler (tokio
        // gives each task a budget of work per turn), and costs next to nothing otherwise.
        tokio::task::coop::consume_budget().await;
    }
    applied
}
