//! Wrong fix: counts the slots from the start by hand, but skips every slot that is not in
//! the future, `<=` where `<` was meant: a read that takes exactly one period makes the next
//! slot look missed. After a slow read it also waits for the next free slot instead of
//! taking the overdue reading at once.
// expect fail: exactly as that slot began, and the slot was treated as missed
//! A greenhouse controller samples its humidity sensor on a fixed schedule: one reading every
//! `period`, the first one at once. The dashboard plots each reading in the slot it belongs
//! to, so the slots must stay where they are: at 0, `period`, 2 × `period`... from the start.
//!
//! A read usually takes a few milliseconds, but now and then the sensor is slow (it
//! recalibrates) and one read takes longer than a whole period. Then the slots that passed
//! meanwhile are lost: the next reading starts right after the slow one (it is overdue), and
//! the one after that in the next free slot of the original schedule. No burst of catch-up
//! readings: they would all show the same humidity and only hammer the sensor.
//!
//! Done when: with reads that take 10 ms, reading k starts at exactly k × `period` (tokio's
//! clock), even after a hundred readings; after a slow read, the overdue reading starts at
//! once and the next ones go back to the original slots; a read that takes exactly one period
//! is not late; `sample` returns as soon as the last reading is in, and `count = 0` reads
//! nothing. `period` is never zero.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// Takes `count` readings with `read`, one every `period`, and returns them in order.
pub async fn sample<R, F>(count: usize, period: Duration, mut read: R) -> Vec<f64>
where
    R: FnMut() -> F,
    F: Future<Output = f64>,
{
    let mut readings = Vec::with_capacity(count);
    let mut slot = Instant::now();
    for k in 0..count {
        if k > 0 {
            slot += period;
            // skip the slots that are already gone
            while slot <= Instant::now() {
                slot += period;
            }
            sleep_until(slot).await;
        }
        readings.push(read().await);
    }
    readings
}
