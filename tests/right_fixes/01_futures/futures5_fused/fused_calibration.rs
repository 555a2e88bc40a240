//! Correct alternative: the calibration future fused with FutureExt::fuse, no branch precondition
//! A sensor monitor.
//!
//! Raw readings stream in over a channel. Meanwhile the sensor calibrates itself, once: that
//! takes `sensor.calibration_time`, and tells us the sensor's bias. `monitor` shows every
//! reading on the display the moment it arrives: as `Raw` until calibration has finished,
//! then as `Corrected`, with the bias subtracted. When calibration finishes, it shows
//! `Calibrated` once. It returns when the readings channel closes.
//!
//! The loop waits on both at the same time with `tokio::select!`. The calibration future is
//! created once, before the loop, and each round polls that same future through `&mut`.
//! Right now the monitor does not survive the end of its own calibration.
//!
//! Done when: calibration is shown exactly once, at the right time, and every reading is
//! shown when it arrives, before and after calibration.

use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::time::sleep;

pub struct Sensor {
    pub calibration_time: Duration,
    pub bias: i32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Shown {
    Raw(i32),
    Calibrated { bias: i32 },
    Corrected(i32),
}

/// Zeroes the sensor: returns its bias once the calibration time has passed.
async fn calibrate(sensor: &Sensor) -> i32 {
    sleep(sensor.calibration_time).await;
    sensor.bias
}

pub async fn monitor(
    sensor: Sensor,
    mut readings: mpsc::Receiver<i32>,
    display: mpsc::UnboundedSender<Shown>,
) {
    // A fused future stays Pending once it has completed.
    let calibration = calibrate(&sensor).fuse();
    tokio::pin!(calibration);
    let mut bias = None;

    loop {
        tokio::select! {
            found = &mut calibration => {
                bias = Some(found);
                let _ = display.send(Shown::Calibrated { bias: found });
            }
            reading = readings.recv() => {
                let Some(raw) = reading else { break };
                let shown = match bias {
                    Some(bias) => Shown::Corrected(raw - bias),
                    None => Shown::Raw(raw),
                };
                let _ = display.send(shown);
            }
        }
    }
}
