//! Probes tell a future dropped while pending (cancelled, after how many polls) from one that
//! finished: "select! lost a message", "shutdown left work running".

use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::assert_says;

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_send_dropped_by_select_is_named_as_cancelled() {
    paused_clock().run(|| async {
        let probes = Probes::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        tx.send(1).await.unwrap();
        // Known bad: the send of order 2 waits for room, and a timeout branch drops it.
        tokio::select! {
            biased;
            _ = probes.watch("send order 2", tx.send(2)) => {}
            _ = tokio::time::sleep(SECOND) => {}
        }
        assert_eq!(
            probes.outcome("send order 2"),
            Some(ProbeOutcome::Cancelled { polls: 2 })
        );
        assert_eq!(
            probes
                .check_finished("send order 2", "keep the send alive across rounds")
                .unwrap_err(),
            "`send order 2` was cancelled: dropped while still pending, after 2 polls, so its \
             work stopped halfway; keep the send alive across rounds"
        );
        // Known good: room is made first, the send finishes.
        assert_eq!(rx.recv().await, Some(1));
        probes.watch("send order 3", tx.send(3)).await.unwrap();
        probes.check_finished("send order 3", "").unwrap();
    });
}

#[test]
fn work_a_shutdown_left_running_is_named() {
    paused_clock().run(|| async {
        let probes = Probes::new();
        // Known bad: detached, never cancelled.
        let left = tokio::spawn(probes.watch("worker 1", tokio::time::sleep(SECOND * 3600)));
        // Known good: aborted on shutdown.
        let stopped = tokio::spawn(probes.watch("worker 2", tokio::time::sleep(SECOND * 3600)));
        tokio::time::sleep(SECOND).await;
        stopped.abort();
        let _ = stopped.await;
        assert_says(
            &probes
                .check_cancelled("worker 1", "abort every worker on shutdown")
                .unwrap_err(),
            &["`worker 1` was still running (pending, polled once) and was never cancelled"],
        );
        probes.check_cancelled("worker 2", "").unwrap();
        drop(left);
    });
}

#[test]
fn a_future_dropped_before_its_first_poll_is_told_apart() {
    let probes = Probes::new();
    drop(probes.watch("flush", async {}));
    assert_eq!(
        probes.outcome("flush"),
        Some(ProbeOutcome::Cancelled { polls: 0 })
    );
    assert_says(
        &probes.check_finished("flush", "await it").unwrap_err(),
        &["`flush` was dropped before it was ever polled"],
    );
    assert_eq!(probes.outcome("missing"), None);
}
