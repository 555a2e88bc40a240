//! A greenhouse controller samples its humidity sensor on a fixed schedule: one reading every
//! `period`, the first one at once. The dashboard plots each reading in the slot it belongs
//! to, so the slots must stay where they are: at 0, `period`, 2 × `period`... from the start.
//!
//! A read usually takes a few milliseconds, but now and then the sensor is slow and one read
//! takes longer than a whole period. Then the slots that passed meanwhile are lost: the next
//! reading starts right after the slow one (it is overdue), and the one after that in the next
//! free slot of the original schedule.

use std::future::Future;
use std::time::Duration;

use tokio::time::{MissedTickBehavior, interval};

/// Takes `count` readings with `read`, one every `period`, and returns them in order.
pub async fn sample<R, F>(count: usize, period: Duration, mut read: R) -> Vec<f64>
where
    R: FnMut() -> F,
    F: Future<Output = f64>,
{
    // One interval for the whole run: its ticks are due at start, start + period, ... no
    // matter how long each read takes, so the schedule does not drift. Its first tick
    // completes at once.
    let mut slots = interval(period);
    // The default (`Burst`) would fire every missed tick back to back to catch up; `Delay`
    // would shift the whole schedule to start again from the late tick. `Skip` fires the
    // overdue tick now, then goes back to the original grid.
    slots.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut readings = Vec::with_capacity(count);
    for _ in 0..count {
        // Waiting *before* each read means nothing is waited for after the last one.
        slots.tick().await;
        readings.push(read().await);
    }
    readings
}
