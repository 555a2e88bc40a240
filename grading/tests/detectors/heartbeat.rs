//! `Heartbeat`: whether the runtime ran another task while the grader's work waited. Decided by
//! the answer of a task, not by timing (the patience only bounds how long a stall is given).

use std::time::Duration;

use asynclings_grading::prelude::*;

const SHORT: Duration = Duration::from_millis(200);
const PATIENCE: Duration = Duration::from_secs(2);

/// Known bad: the grader's work waits inside the task under test, on the runtime's only
/// thread: the heartbeat cannot answer. Known good: the same work on tokio's blocking pool.
#[test]
fn a_heartbeat_answers_only_while_the_runtime_runs_other_tasks() {
    let (inside, pooled, ran_inside, ran_pooled) = real_clock()
        .allow_blocking("the check names the stall itself, with a Heartbeat")
        .run(|| async {
            let heartbeat = Heartbeat::started().await;
            let inside = heartbeat.answered_within(SHORT);
            let ran_inside = heartbeat.ran_on_this_thread();
            let beat = heartbeat.clone();
            let (pooled, ran_pooled) = tokio::task::spawn_blocking(move || {
                (beat.answered_within(PATIENCE), beat.ran_on_this_thread())
            })
            .await
            .unwrap();
            (inside, pooled, ran_inside, ran_pooled)
        });
    assert!(
        !inside,
        "the heartbeat answered while its runtime's thread was blocked"
    );
    assert!(
        pooled,
        "the heartbeat did not answer while the runtime was free"
    );
    assert!(ran_inside && !ran_pooled);
}

/// A ping keeps computing work informed: its gate opens once the runtime ran the heartbeat.
#[test]
fn a_ping_opens_its_gate_when_the_heartbeat_runs() {
    let opened = real_clock().run(|| async {
        let heartbeat = Heartbeat::start();
        let gate = heartbeat.ping(PATIENCE);
        tokio::task::yield_now().await;
        tokio::task::spawn_blocking(move || gate.wait())
            .await
            .unwrap()
    });
    assert!(opened);
}

/// Once its runtime is gone, nobody answers: a ping is refused at once.
#[test]
fn a_heartbeat_without_its_runtime_never_answers() {
    let heartbeat = real_clock().run(|| async { Heartbeat::started().await });
    assert!(!heartbeat.send(Box::new(|| ())));
    assert!(!heartbeat.answered_within(SHORT));
}
