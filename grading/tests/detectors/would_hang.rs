use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::{assert_says, verdict_of};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_future_nothing_can_wake_is_reported_at_once() {
    let began = Instant::now();
    let verdict = verdict_of(|| {
        let _ = paused_clock()
            .would_hang_after(HOUR, "send on the channel the receiver waits on")
            .run(|| async {
                let (_kept, never) = tokio::sync::oneshot::channel::<u32>();
                tokio::time::sleep(Duration::from_millis(300)).await;
                never.await
            });
    });
    assert_says(
        &verdict,
        &[
            "would wait forever: nothing can wake it (polled 2 times; after its last poll, at \
             300 ms of virtual time, nothing woke it in the ",
            "send on the channel the receiver waits on",
        ],
    );
    // Decided in virtual time: far quicker than the watchdog's 3 s, however loaded the machine.
    assert!(began.elapsed() < Duration::from_secs(3), "{verdict}");
}

#[test]
fn a_future_that_wakes_itself_forever_is_a_busy_loop() {
    let verdict = verdict_of(|| {
        paused_clock()
            .would_hang_after(HOUR, "let the timer wake it")
            .run(|| {
                std::future::poll_fn(|cx| -> std::task::Poll<()> {
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                })
            });
    });
    assert_says(
        &verdict,
        &[
            "busy loop: polled 1000 times at 0 ms of virtual time",
            "let the timer wake it",
        ],
    );
}

#[test]
fn a_future_that_completes_passes_with_exact_virtual_time() {
    let (sum, took) = paused_clock()
        .would_hang_after(HOUR, "")
        .run_timed(|| async {
            let (tx, mut rx) = tokio::sync::mpsc::channel(1);
            tokio::spawn(async move {
                for i in 1..=3 {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    tx.send(i).await.unwrap();
                }
            });
            let mut sum = 0;
            while let Some(i) = rx.recv().await {
                sum += i;
            }
            sum
        });
    assert_eq!((sum, took), (6, Duration::from_secs(1800)));
}

#[test]
fn spawn_blocking_holds_the_paused_clock_so_the_oracle_waits_for_it() {
    let answer = paused_clock()
        .would_hang_after(Duration::from_secs(1), "")
        .run(|| async {
            tokio::task::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(100));
                5
            })
            .await
            .unwrap()
        });
    assert_eq!(answer, 5);
}

#[test]
fn settle_reports_each_outcome() {
    paused_clock().run(|| async {
        let ready = settle(tokio::time::sleep(Duration::from_secs(2)), HOUR, 100).await;
        assert!(matches!(ready, Settled::Ready { took, .. } if took == Duration::from_secs(2)));
        let hang = settle(std::future::pending::<()>(), HOUR, 100).await;
        assert!(matches!(hang, Settled::WouldHang { polls: 1, .. }));
        assert!(
            hang.ready("x")
                .unwrap_err()
                .starts_with("would wait forever: nothing can wake it")
        );
    });
}

#[test]
fn a_future_still_polled_but_never_done_is_named_differently() {
    let verdict = verdict_of(|| {
        paused_clock()
            .would_hang_after(Duration::from_secs(60), "stop waiting")
            .run(|| async {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
    });
    assert_says(
        &verdict,
        &[
            "would wait forever: still not finished after 60.00 s of virtual time",
            "stop waiting",
        ],
    );
}
