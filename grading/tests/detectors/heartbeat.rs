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

/// `check_stints` names where the call that starved the runtime ran: known bad inside the
/// awaiting task, known good on the blocking pool while the heartbeat answered.
#[test]
fn a_starving_call_is_named_by_where_it_ran() {
    use asynclings_grading::site::{Awaiter, Site, Stint, check_stints};
    let stints = real_clock()
        .allow_blocking("the check names the stall itself, with a Heartbeat")
        .run_spawned(|| async {
            let (awaiter, heartbeat) = (Awaiter::default(), Heartbeat::started().await);
            awaiter.enter();
            let call = |awaiter: &Awaiter, heartbeat: &Heartbeat| {
                let started = std::time::Instant::now();
                let others_ran = heartbeat.answered_within(SHORT);
                Stint {
                    site: awaiter.site_here(),
                    others_ran,
                    held: started.elapsed(),
                }
            };
            let inside = call(&awaiter, &heartbeat);
            let (a, h) = (awaiter.clone(), heartbeat.clone());
            let pooled = tokio::task::spawn_blocking(move || call(&a, &h))
                .await
                .unwrap();
            (inside, pooled)
        });
    let (inside, pooled) = stints;
    assert_eq!(
        (inside.site, inside.others_ran),
        (Site::AwaitingTask, false)
    );
    assert_eq!(pooled.site, Site::BlockingPool);
    check_stints(&[pooled], "printing a label", "use spawn_blocking").unwrap();
    let verdict = check_stints(&[pooled, inside], "printing a label", "use spawn_blocking");
    assert!(
        verdict.as_ref().unwrap_err().starts_with(
            "printing a label ran on the runtime's thread, inside the task that awaited it, and \
             blocked that thread for "
        ),
        "{verdict:?}"
    );
}
