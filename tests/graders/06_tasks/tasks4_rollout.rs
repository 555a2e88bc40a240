//! Grades `roll_out` on a paused clock with the grader's own deploys: each server's deploy
//! succeeds or fails after a latency of its own (virtual time), and notes when it was first
//! polled, when it finished, and when it was dropped while still running (cancelled). The facts
//! that decide: what `roll_out` returned and when, the order of its log, and what became of
//! every deploy by the time the rollout was over, and a while later.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::{Failure, roll_out};

/// How one server's deploy ends: after a latency (ms), well or with a failure.
#[derive(Clone, Copy, Debug)]
enum Ends {
    Up(u64),
    Fails(u64, &'static str),
}

impl Ends {
    fn latency(self) -> Duration {
        match self {
            Ends::Up(ms) | Ends::Fails(ms, _) => Duration::from_millis(ms),
        }
    }
}

/// What became of one deploy, in virtual time since the rollout started.
#[derive(Clone, Copy, Debug, Default)]
struct Fate {
    started: bool,
    finished_at: Option<Duration>,
    cancelled_at: Option<Duration>,
}

type Fates = Arc<Mutex<BTreeMap<String, Fate>>>;

/// Notes the moment the deploy it lives in is dropped before it finished.
struct CancelNote {
    server: String,
    fates: Fates,
    origin: Instant,
}

impl Drop for CancelNote {
    fn drop(&mut self) {
        let mut fates = self.fates.lock().unwrap();
        let fate = fates.entry(self.server.clone()).or_default();
        if fate.finished_at.is_none() {
            fate.cancelled_at = Some(self.origin.elapsed());
        }
    }
}

/// What one rollout did.
struct Outcome {
    /// `None`: the caller gave up on it.
    returned: Option<Result<Vec<String>, Failure>>,
    returned_at: Duration,
    /// What became of each deploy when `roll_out` returned (or was given up on)...
    at_return: BTreeMap<String, Fate>,
    /// ...and two seconds of virtual time later, the runtime still running.
    later: BTreeMap<String, Fate>,
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

/// Rolls out to `cluster`; with `give_up_after`, the caller drops the rollout at that moment.
fn rollout(cluster: &[(&str, Ends)], give_up_after: Option<Duration>) -> Outcome {
    let cluster: Vec<(String, Ends)> = cluster
        .iter()
        .map(|(server, ends)| ((*server).to_owned(), *ends))
        .collect();
    paused_clock()
        .on_blocked(
            "roll_out held the runtime's thread while the deploys ran (a block_on or a thread \
             sleep inside async code?); .await the deploy tasks instead",
        )
        .would_hang_after(
            Duration::from_secs(600),
            "every deploy ends after its latency: wait for the deploys as they finish",
        )
        .run(move || async move {
            let fates: Fates = Arc::default();
            let origin = Instant::now();
            let servers: Vec<String> = cluster.iter().map(|(server, _)| server.clone()).collect();
            let ends: BTreeMap<String, Ends> = cluster.into_iter().collect();
            let deploy = {
                let fates = Arc::clone(&fates);
                move |server: String| {
                    let ends = ends.get(&server).copied().unwrap_or(Ends::Up(0));
                    let note = CancelNote {
                        server: server.clone(),
                        fates: Arc::clone(&fates),
                        origin,
                    };
                    async move {
                        note.fates
                            .lock()
                            .unwrap()
                            .entry(server.clone())
                            .or_default()
                            .started = true;
                        sleep(ends.latency()).await;
                        note.fates
                            .lock()
                            .unwrap()
                            .entry(server.clone())
                            .or_default()
                            .finished_at = Some(origin.elapsed());
                        match ends {
                            Ends::Up(_) => Ok(server),
                            Ends::Fails(_, reason) => Err(Failure {
                                server,
                                reason: reason.to_owned(),
                            }),
                        }
                    }
                }
            };
            let rolling = roll_out(servers, deploy);
            let returned = match give_up_after {
                None => Some(rolling.await),
                Some(limit) => tokio::time::timeout(limit, rolling).await.ok(),
            };
            let returned_at = origin.elapsed();
            // Let the runtime process whatever was aborted at this instant.
            for _ in 0..8 {
                tokio::task::yield_now().await;
            }
            let at_return = fates.lock().unwrap().clone();
            sleep(Duration::from_secs(2)).await;
            let later = fates.lock().unwrap().clone();
            Outcome {
                returned,
                returned_at,
                at_return,
                later,
            }
        })
}

/// Fails when a deploy was still running after the rollout was over, naming it.
fn check_nothing_left_running(outcome: &Outcome, what: &str, fix: &str) {
    for (server, fate) in &outcome.at_return {
        if fate.finished_at.is_some_and(|at| at <= outcome.returned_at) {
            continue;
        }
        if fate.cancelled_at.is_some() {
            continue;
        }
        let then = match outcome.later.get(server) {
            Some(Fate {
                finished_at: Some(at),
                ..
            }) => format!(
                "it went on and finished at {} ms, {} ms later, and put the release on that \
                 server",
                ms(*at),
                ms(at.saturating_sub(outcome.returned_at))
            ),
            _ => "it was still alive long after".to_owned(),
        };
        panic!(
            "{what} at {} ms of virtual time, but the deploy to {server} was still running \
             and was never cancelled: {then} (a dropped JoinHandle does not stop its task, and aborting a task does \
             not stop the tasks that it spawned in turn); \
             {fix}",
            ms(outcome.returned_at)
        );
    }
}

const CANCEL_FIX: &str = "keep the deploys in something that aborts its tasks when it is dropped, \
     each deploy being one of those tasks itself";

#[test]
fn logs_every_server_in_the_order_its_deploy_finished() {
    let cluster = [
        ("web-1", Ends::Up(300)),
        ("web-2", Ends::Up(100)),
        ("db-7", Ends::Up(450)),
        ("web-3", Ends::Up(200)),
    ];
    let outcome = rollout(&cluster, None);
    let log = match &outcome.returned {
        Some(Ok(log)) => log.clone(),
        other => panic!("every deploy succeeded, but roll_out returned {other:?}"),
    };
    let mut by_finish = cluster.to_vec();
    by_finish.sort_by_key(|(_, ends)| ends.latency());
    let want: Vec<&str> = by_finish.iter().map(|(server, _)| *server).collect();
    let listed: Vec<&str> = cluster.iter().map(|(server, _)| *server).collect();
    assert!(
        log != listed,
        "the log lists the servers in the order they were given ({listed:?}), not in the order \
         their deploys finished ({want:?}): roll_out collected the results in the order of the list; hear from \
         the deploys as they finish"
    );
    assert!(
        log == want,
        "the log is {log:?}, but the deploys finished in the order {want:?}"
    );
    assert!(
        outcome.returned_at == Duration::from_millis(450),
        "the slowest deploy took 450 ms, but roll_out returned after {} ms of virtual time: \
         run every deploy at once and return when the last one is done",
        ms(outcome.returned_at)
    );
}

#[test]
fn the_first_failure_stops_the_rollout_at_once() {
    let cluster = [
        ("web-1", Ends::Fails(500, "port 8080 in use")),
        ("web-2", Ends::Up(400)),
        ("web-3", Ends::Fails(100, "health check failed")),
        ("web-4", Ends::Up(50)),
        ("db-9", Ends::Up(900)),
    ];
    let outcome = rollout(&cluster, None);
    match &outcome.returned {
        Some(Err(failure)) if failure.server == "web-3" => {
            assert_eq!(
                failure.reason, "health check failed",
                "roll_out returned web-3's failure with another reason"
            );
        }
        Some(Err(failure)) => panic!(
            "web-3's deploy failed first, at 100 ms of virtual time, but roll_out returned the \
             failure of {} at {} ms: it waited for the servers in the order they were listed, \
             so a fast failure was noticed only after the deploys listed before it; hear from \
             the deploys as they finish",
            failure.server,
            ms(outcome.returned_at)
        ),
        other => panic!(
            "web-3's deploy failed at 100 ms of virtual time, but roll_out returned {other:?} \
             after {} ms: the first failure must stop the rollout",
            ms(outcome.returned_at)
        ),
    }
    assert!(
        outcome.returned_at == Duration::from_millis(100),
        "web-3's deploy failed at 100 ms of virtual time, but roll_out reported it only at {} \
         ms: it waited for other deploys first; return the first failure as soon as it happens",
        ms(outcome.returned_at)
    );
    check_nothing_left_running(
        &outcome,
        "roll_out returned web-3's failure",
        "on the first failure, cancel every deploy still running; keep the deploys in \
         something that aborts its tasks when it is dropped, each deploy being one of those \
         tasks itself",
    );
}

#[test]
fn a_rollout_given_up_on_cancels_every_deploy() {
    let cluster = [
        ("edge-1", Ends::Up(1000)),
        ("edge-2", Ends::Up(100)),
        ("edge-3", Ends::Up(1500)),
    ];
    let outcome = rollout(&cluster, Some(Duration::from_millis(250)));
    assert!(
        outcome.returned.is_none(),
        "the caller gave up on the rollout after 250 ms, before the slowest deploy (1500 ms) \
         could finish, but roll_out had already returned {:?}",
        outcome.returned
    );
    check_nothing_left_running(
        &outcome,
        "the caller gave up on the rollout (dropped its future)",
        CANCEL_FIX,
    );
}

#[test]
fn no_servers_an_empty_log_at_once() {
    let outcome = rollout(&[], None);
    assert!(
        matches!(&outcome.returned, Some(Ok(log)) if log.is_empty()),
        "no servers, but roll_out returned {:?}",
        outcome.returned
    );
    assert!(
        outcome.returned_at == Duration::ZERO,
        "no servers, but roll_out took {} ms of virtual time",
        ms(outcome.returned_at)
    );
    // A deploy that fails at once, on a cluster of one.
    let outcome = rollout(&[("solo", Ends::Fails(0, "disk full"))], None);
    assert!(
        matches!(&outcome.returned, Some(Err(failure)) if failure.server == "solo"),
        "the only deploy failed at once, but roll_out returned {:?}",
        outcome.returned
    );
}
