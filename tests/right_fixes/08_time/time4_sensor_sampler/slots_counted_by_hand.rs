//! Correct alternative: slot numbers counted by hand from the start, each awaited with `sleep_until`
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
    let start = Instant::now();
    // The slot of the next reading: it is due at start + slot × period.
    let mut slot: u32 = 0;
    let mut readings = Vec::with_capacity(count);
    for _ in 0..count {
        // A slot in the past completes at once: that is the overdue reading after a slow read.
        sleep_until(start + period * slot).await;
        readings.push(read().await);
        // The next slot, unless the read ran past it: then the latest slot that has begun,
        // which is overdue (it starts at once) and replaces every slot before it.
        let begun = (start.elapsed().as_nanos() / period.as_nanos()) as u32;
        slot = (slot + 1).max(begun);
    }
    readings
}
