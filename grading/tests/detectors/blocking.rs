use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::{assert_says, cpu_turn, log_figure, verdict_of};

/// Known bad: sleeps the thread inside async code.
async fn sleeps_the_thread() -> u32 {
    tokio::task::yield_now().await;
    std::thread::sleep(Duration::from_millis(800));
    7
}

/// Known good: waits on tokio's timer and a channel, and does a little work between.
async fn waits_politely() -> u32 {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = tx.send(i).await;
        }
    });
    let mut sum = 0;
    while let Some(i) = rx.recv().await {
        sum += (0..1000u32).map(|k| k % 7).sum::<u32>() % 3 + i;
    }
    sum
}

#[test]
fn poll_stopwatch_flags_a_thread_sleep_in_async_code() {
    let verdict = verdict_of(|| {
        let stopwatch = real_clock()
            .allow_blocking("this check measures the poll itself, with watch_polls")
            .run(|| async {
                let (watched, stopwatch) = watch_polls(sleeps_the_thread());
                watched.await;
                stopwatch
            });
        stopwatch.assert_no_blocking(BLOCKING_POLL, BLOCKING_FIX);
    });
    assert_says(
        &verdict,
        &[
            "one poll took",
            "something inside async code blocked the thread (std::thread::sleep, blocking I/O, \
             a long CPU loop, rayon work on a runtime thread); use tokio::time::sleep / \
             spawn_blocking",
        ],
    );
    // The measured figure is at least the sleep: a sleep never ends early.
    // "840 ms" below a second, "1.04 s" from a second on (a loaded machine stretches the poll).
    let mut figure = verdict["one poll took ".len()..].split_whitespace();
    let number: f64 = figure.next().and_then(|n| n.parse().ok()).unwrap_or(0.0);
    let ms = match figure.next() {
        Some(unit) if unit.starts_with("ms") => number,
        Some(unit) if unit.starts_with('s') => number * 1000.0,
        _ => 0.0,
    };
    assert!(ms >= 800.0, "{verdict}");
}

#[test]
fn poll_stopwatch_passes_code_that_awaits() {
    let (stats, sum) = real_clock().run(|| async {
        let (watched, stopwatch) = watch_polls(waits_politely());
        let sum = watched.await;
        (stopwatch.stats(), sum)
    });
    assert_eq!(
        sum,
        190 + 20 * ((0..1000u32).map(|k| k % 7).sum::<u32>() % 3)
    );
    assert!(stats.polls > 1);
    log_figure("legit-poll", stats.longest);
    stats
        .check_no_blocking(BLOCKING_POLL, BLOCKING_FIX)
        .unwrap();
}

#[test]
fn ticker_sees_a_runtime_stalled_by_a_spin() {
    let _turn = cpu_turn();
    let stats = real_clock()
        .allow_blocking("this check measures the stall itself, with a Ticker")
        .run(|| async {
            let ticker = Ticker::start(Duration::from_millis(10));
            tokio::time::sleep(Duration::from_millis(30)).await;
            // A long CPU loop inside async code: the ticker cannot run meanwhile.
            let spin = tokio::spawn(async {
                let until = std::time::Instant::now() + Duration::from_millis(800);
                while std::time::Instant::now() < until {
                    std::hint::spin_loop();
                }
            });
            spin.await.unwrap();
            tokio::time::sleep(Duration::from_millis(30)).await;
            ticker.stop()
        });
    let verdict = stats
        .check_responsive(RUNTIME_STALL, "move the loop to rayon or spawn_blocking")
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "the runtime stalled for ",
            "a task due every 10 ms waited that long",
            "move the loop to rayon or spawn_blocking",
        ],
    );
    assert!(stats.stall() >= Duration::from_millis(790), "{verdict}");
}

#[test]
fn ticker_passes_a_runtime_that_keeps_awaiting() {
    let stats = real_clock().run(|| async {
        let ticker = Ticker::start(Duration::from_millis(10));
        waits_politely().await;
        ticker.stop()
    });
    assert!(stats.ticks > 0);
    log_figure("legit-tick-gap", stats.largest_gap);
    stats.check_responsive(RUNTIME_STALL, "").unwrap();
}

#[test]
fn poll_timed_measures_one_poll() {
    let waker = CountingWaker::new();
    let mut future = std::pin::pin!(async {
        std::thread::sleep(Duration::from_millis(300));
    });
    let timing = poll_timed(future.as_mut(), waker.waker());
    assert!(timing.result.is_ready());
    assert!(timing.took >= Duration::from_millis(300));
    assert_says(
        &blocking_poll_verdict(timing.took, BLOCKING_FIX),
        &["one poll took "],
    );
}
