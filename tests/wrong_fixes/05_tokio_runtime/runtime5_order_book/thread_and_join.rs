//! Wrong fix: applies the ticks on a thread of its own, and joins it from the async fn.
// expect fail: replay held the runtime's thread while the ticks were applied
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
    let replaying = std::thread::spawn(move || {
        let mut applied = 0;
        for tick in &ticks {
            apply(tick);
            applied += 1;
        }
        applied
    });
    replaying.join().expect("the replay thread panicked")
}
