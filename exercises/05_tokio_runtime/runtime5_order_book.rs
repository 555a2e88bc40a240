//! A trading gateway runs on a small box, on a current-thread runtime: one thread for all its
//! tasks. At startup it rebuilds its order book by replaying the day's ticks: `replay` hands
//! every tick, in order, to `apply` (the order book's update: synchronous, a microsecond or
//! so). A busy day has a million ticks, and `replay` never gives the thread back while it loops:
//! the gateway's heartbeat to the exchange, another task on the same runtime, cannot run, and
//! the exchange drops the connection. On a laptop under `#[tokio::main]` (a multi-thread
//! runtime) the heartbeat ran on another worker thread, and nobody noticed.
//!
//! Done when: `replay` applies every tick once, in order, and returns how many it applied (no
//! ticks, nothing applied); while it runs, the runtime's other tasks get a turn at least every
//! 1,000 ticks, on a current-thread runtime as on a multi-thread one.

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
        // TODO: a million of these in a row, and the other tasks never get the thread.
        apply(tick);
        applied += 1;
    }
    applied
}
