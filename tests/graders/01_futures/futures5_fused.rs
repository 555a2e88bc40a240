use std::any::Any;
use std::future::Future;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::exercise::{Sensor, Shown, monitor};

const BIAS: i32 = 5;
const CALIBRATION_TIME: Duration = Duration::from_millis(1000);
/// Readings come faster than calibration takes, and never at the very instant it ends.
const EVERY: Duration = Duration::from_millis(300);

const KEPT_BUSY: &str = "the monitor kept the runtime busy, so (virtual) time could not move \
    on: something in its loop is ready on every round (a completed future polled again whose \
    panic is caught, or a closed channel's recv() that keeps returning None: leave the loop \
    then)";

/// What the display showed, and when (virtual time since the start).
struct Log {
    shown: Vec<(Duration, Shown)>,
    returned_at: Duration,
}

/// The value of the `k`th reading (from 1).
fn reading(k: u32) -> i32 {
    10 * k as i32
}

/// Runs `monitor` on a paused clock while a feeder sends `count` readings, one every 300 ms,
/// then closes the channel. Records what reaches the display and when.
fn run_monitor(count: u32) -> Log {
    run_monitor_calibrating(count, CALIBRATION_TIME)
}

/// [`run_monitor`] with a sensor whose calibration takes `calibration_time`.
fn run_monitor_calibrating(count: u32, calibration_time: Duration) -> Log {
    let outcome = in_paused_runtime(move || async move {
            let start = Instant::now();
            let (feed, readings) = mpsc::channel(16);
            let (display, mut screen) = mpsc::unbounded_channel();
            let sensor = Sensor {
                calibration_time,
                bias: BIAS,
            };
            let monitor = tokio::spawn(monitor(sensor, readings, display));
            tokio::spawn(async move {
                for k in 1..=count {
                    sleep_until(start + EVERY * k).await;
                    if feed.send(reading(k)).await.is_err() {
                        break;
                    }
                }
            });
            let recorder = tokio::spawn(async move {
                let mut shown = Vec::new();
                while let Some(item) = screen.recv().await {
                    shown.push((start.elapsed(), item));
                }
                shown
            });

            let finished = monitor.await;
            let returned_at = start.elapsed();
            let shown = recorder.await.expect("the grader's recorder panicked");
            finished
                .map(|()| Log { shown, returned_at })
                .map_err(|error| {
                    let message = if error.is_panic() {
                        panic_text(error.into_panic())
                    } else {
                        "cancelled".to_owned()
                    };
                    (returned_at, message)
                })
        });
    match outcome {
        Ok(log) => log,
        Err((at, message)) if message.contains("after completion") => panic!(
            "the monitor panicked at {at:?} of virtual time, right after calibration finished \
             (\"{message}\"): select! polled the calibration future again after it had \
             completed; switch its branch off once it is done (`, if bias.is_none()`) or fuse it"
        ),
        Err((at, message)) => panic!("the monitor panicked at {at:?} of virtual time: {message}"),
    }
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match panic_message(&*payload) {
        "" => "a panic without a message".to_owned(),
        message => message.to_owned(),
    }
}

/// Runs `make()`'s future on a fresh current-thread runtime whose clock starts paused, on a
/// watched thread: a monitor that never lets virtual time move on (something in its loop is
/// ready on every round), blocks the thread or is never woken is stopped with a verdict of
/// its kind.
fn in_paused_runtime<T, Fut>(make: impl FnOnce() -> Fut + Send + 'static) -> T
where
    T: Send + 'static,
    Fut: Future<Output = T> + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        // Whether the loop spins inside one poll (the runtime stalls) or yields between rounds
        // (the runtime is busy) is tokio's business: both are the same mistake here.
        .on_busy(KEPT_BUSY)
        .on_blocked(KEPT_BUSY)
        .on_never_woken(
            "the monitor never returned: leave the loop as soon as recv() returns None",
        )
        // The check turns the monitor's own panic into its verdict.
        .allow_task_panics()
        .run(make)
}

#[test]
fn keeps_showing_readings_after_calibrating() {
    let log = run_monitor(10);
    let readings_shown = log
        .shown
        .iter()
        .filter(|(_, item)| !matches!(item, Shown::Calibrated { .. }))
        .count();
    assert_eq!(
        readings_shown, 10,
        "10 readings came in over 3 s but {readings_shown} were shown: show each reading as \
         it arrives, before and after calibration, until the channel closes"
    );
}

#[test]
fn calibrates_once_on_time_while_readings_flow() {
    let log = run_monitor(10);
    let calibrations: Vec<_> = log
        .shown
        .iter()
        .filter(|(_, item)| matches!(item, Shown::Calibrated { .. }))
        .collect();
    assert!(
        !calibrations.is_empty(),
        "calibration never finished, though readings kept coming for 3 s (one every 300 ms; \
         calibration takes 1 s): a calibration future created anew in each round of the loop \
         starts its 1 s over with every reading; create it once before the loop and poll that \
         same future through `&mut`"
    );
    assert_eq!(
        calibrations.len(),
        1,
        "showed Calibrated {} times: the sensor calibrates once; after its future completed, \
         switch its select! branch off instead of starting it again",
        calibrations.len()
    );
    let (at, item) = calibrations[0];
    assert_eq!(
        *item,
        Shown::Calibrated { bias: BIAS },
        "calibration must show the bias the sensor reported"
    );
    assert_eq!(
        *at, CALIBRATION_TIME,
        "calibration, which takes 1 s, was shown at {at:?}: start it once, before the loop, \
         and keep polling it while readings come in"
    );
}

#[test]
fn shows_each_reading_the_moment_it_arrives() {
    let log = run_monitor(10);
    let mut bias_shown = None;
    let mut k = 0;
    for (at, item) in &log.shown {
        if let Shown::Calibrated { bias } = item {
            bias_shown = Some(*bias);
            continue;
        }
        k += 1;
        let sent_at = EVERY * k;
        assert_eq!(
            *at, sent_at,
            "the reading sent at {sent_at:?} was shown at {at:?}: the monitor was not reading \
             the channel then; wait on readings and calibration together in one select!, so \
             readings flow while the sensor calibrates"
        );
        let expected = match bias_shown {
            None => Shown::Raw(reading(k)),
            Some(bias) => Shown::Corrected(reading(k) - bias),
        };
        assert_eq!(
            *item, expected,
            "the reading sent at {sent_at:?} was shown as {item:?}, but expected {expected:?}: \
             show Raw before calibration finished, Corrected (minus the bias) after"
        );
    }
}

#[test]
fn returns_when_the_readings_stop_even_mid_calibration() {
    // Two readings, the channel closes at 600 ms, before calibration is done.
    let log = run_monitor(2);
    assert_eq!(
        log.returned_at,
        EVERY * 2,
        "the readings channel closed at 600 ms but the monitor returned at {:?}: leave the \
         loop as soon as recv() returns None, even if calibration is still running",
        log.returned_at
    );
}

#[test]
fn returns_at_once_when_no_reading_ever_comes() {
    let log = run_monitor(0);
    assert_eq!(
        (log.returned_at, log.shown.len()),
        (Duration::ZERO, 0),
        "the readings channel closed before any reading came: the monitor must return at once \
         (it returned at {:?}) and show nothing (it showed {:?})",
        log.returned_at,
        log.shown
    );
}

#[test]
fn a_sensor_that_needs_no_calibration_corrects_every_reading() {
    let log = run_monitor_calibrating(3, Duration::ZERO);
    let shown: Vec<&Shown> = log.shown.iter().map(|(_, item)| item).collect();
    assert_eq!(
        shown,
        [
            &Shown::Calibrated { bias: BIAS },
            &Shown::Corrected(reading(1) - BIAS),
            &Shown::Corrected(reading(2) - BIAS),
            &Shown::Corrected(reading(3) - BIAS),
        ],
        "a sensor whose calibration takes no time is calibrated before the first reading \
         arrives: show Calibrated once, then every reading Corrected"
    );
}
