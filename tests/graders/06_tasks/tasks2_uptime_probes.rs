//! Grades `check_all` on a paused clock with the grader's own HTTP client: each host answers
//! after a latency of its own (virtual time), or never, and each health request is drawn on a
//! `Timeline`. The facts that decide: whether the requests ran at one instant, when
//! `check_all` returned, the statuses it returned, and how many holders the client (an `Arc`)
//! still had once the call had returned and its runtime had shut down: each one beyond the
//! grader's own is a copy of the settings that was never freed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::{Probe, Settings, Status, check_all};

/// How one host answers a health request: healthy or not, after a latency (ms), or never.
#[derive(Clone, Copy)]
enum Answers {
    After(u64, bool),
    Never,
}

/// What one call of `check_all` did.
struct Outcome {
    statuses: Vec<Status>,
    returned_at: Duration,
    timeline: Timeline,
    /// Holders of the grader's client once the run was over, besides the grader itself.
    copies_left: usize,
    /// Health requests still alive (neither finished nor dropped) when `check_all` returned.
    in_flight_at_return: Vec<String>,
    /// The task each health request was first polled in (`None`: no task), by host.
    ran_in: Vec<(String, Option<tokio::task::Id>)>,
}

/// Health requests alive right now, by host: a request is alive from the moment the client
/// makes it until it is dropped (finished, or given up on with it).
type Alive = Arc<Mutex<Vec<String>>>;

/// Lives inside one health request; takes it off the alive list when the request is dropped.
struct AliveNote {
    host: String,
    alive: Alive,
}

impl Drop for AliveNote {
    fn drop(&mut self) {
        let mut alive = self.alive.lock().unwrap();
        if let Some(at) = alive.iter().position(|host| *host == self.host) {
            alive.remove(at);
        }
    }
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

/// Runs `check_all` over `fleet` with `timeout`.
fn probe_fleet(timeout: Duration, fleet: &[(&str, Answers)]) -> Outcome {
    let fleet: Vec<(String, Answers)> = fleet
        .iter()
        .map(|(host, answers)| ((*host).to_owned(), *answers))
        .collect();
    let hosts: Vec<String> = fleet.iter().map(|(host, _)| host.clone()).collect();
    let (statuses, returned_at, timeline, client, in_flight_at_return, ran_in) = paused_clock()
        .on_blocked(
            "check_all held the runtime's thread while the probes waited (a block_on or a \
             thread sleep inside async code?); .await the probe tasks instead",
        )
        .would_hang_after(
            Duration::from_secs(600),
            "a host that never answers must count as down once settings.timeout has passed: \
             keep the timeout around every health request",
        )
        .run(move || async move {
            let timeline = Timeline::new();
            let answers: BTreeMap<String, Answers> = fleet.into_iter().collect();
            let lanes = timeline.clone();
            let alive: Alive = Arc::default();
            let requests = Arc::clone(&alive);
            let ran_in: Arc<Mutex<Vec<(String, Option<tokio::task::Id>)>>> = Arc::default();
            let tasks = Arc::clone(&ran_in);
            let probe: Probe = Arc::new(move |host: String| {
                let tasks = Arc::clone(&tasks);
                let answers = answers.get(&host).copied().unwrap_or(Answers::Never);
                requests.lock().unwrap().push(host.clone());
                let note = AliveNote {
                    host: host.clone(),
                    alive: Arc::clone(&requests),
                };
                Box::pin(lanes.op(host.clone(), async move {
                    let _alive = note;
                    tasks.lock().unwrap().push((host, tokio::task::try_id()));
                    match answers {
                        Answers::After(latency, healthy) => {
                            sleep(Duration::from_millis(latency)).await;
                            healthy
                        }
                        Answers::Never => std::future::pending().await,
                    }
                }))
            });
            let client = Arc::downgrade(&probe);
            let settings = Settings { timeout, probe };
            let origin = Instant::now();
            let statuses = check_all(&settings, &hosts).await;
            let returned_at = origin.elapsed();
            let in_flight = alive.lock().unwrap().clone();
            let ran_in = ran_in.lock().unwrap().clone();
            (statuses, returned_at, timeline, client, in_flight, ran_in)
        });
    // The run is over and its runtime gone, with every task it still had, and the caller's
    // settings are dropped: whatever still holds the client now was leaked.
    let copies_left = client.strong_count();
    Outcome {
        statuses,
        returned_at,
        timeline,
        copies_left,
        in_flight_at_return,
        ran_in,
    }
}

/// Fails unless every health request ran in a task of its own.
fn check_own_tasks(outcome: &Outcome) {
    let hosts = |pick: &dyn Fn(&Option<tokio::task::Id>) -> bool| -> Vec<String> {
        outcome
            .ran_in
            .iter()
            .filter(|(_, id)| pick(id))
            .map(|(host, _)| host.clone())
            .collect()
    };
    let untasked = hosts(&|id| id.is_none());
    if !untasked.is_empty() {
        panic!(
            "the probes of {} ran in no task of their own: check_all's own future polled them \
             (join_all or join! do that, and may borrow, which is why the compiler let it \
             through), so they share one task, which the runtime can only run on one thread at \
             a time; the monitor is meant to spawn a task per host: give each task what it uses \
             (owned copies, moved in) so that it can be 'static",
            untasked.join(", ")
        );
    }
    for (at, (host, id)) in outcome.ran_in.iter().enumerate() {
        let shared = hosts(&|other| other == id);
        if shared.len() > 1
            && outcome.ran_in[..at]
                .iter()
                .all(|(_, earlier)| earlier != id)
        {
            panic!(
                "the probes of {} ({host} first) all ran inside one spawned task, which polled \
                 them together: the runtime can only run that task on one thread at a time; \
                 spawn a task per host",
                shared.join(", ")
            );
        }
    }
}

/// Fails when health requests were still alive after `check_all` had returned.
fn check_nothing_left_running(outcome: &Outcome, timeout: Duration) {
    if outcome.in_flight_at_return.is_empty() {
        return;
    }
    panic!(
        "check_all returned after {} ms of virtual time, but the health request(s) to {} were \
         still in flight, their tasks still running: a probe that was given up on (or never \
         waited for) goes on in the background, and with a host that never answers it runs \
         forever, one more task left behind every minute; give up on the request itself when \
         the {} ms timeout passes, inside the task, and wait for every task before returning",
        ms(outcome.returned_at),
        outcome.in_flight_at_return.join(", "),
        ms(timeout)
    );
}

fn expected(fleet: &[(&str, Answers)], timeout: Duration) -> Vec<Status> {
    fleet
        .iter()
        .map(|(host, answers)| Status {
            host: (*host).to_owned(),
            up: matches!(answers, Answers::After(latency, true)
                if Duration::from_millis(*latency) <= timeout),
        })
        .collect()
}

fn check_statuses(fleet: &[(&str, Answers)], timeout: Duration, outcome: &Outcome) {
    let want = expected(fleet, timeout);
    let got = &outcome.statuses;
    if got.len() < want.len() && !outcome.in_flight_at_return.is_empty() {
        panic!(
            "check_all returned {} status(es) for {} hosts after {} ms of virtual time, while the \
             probes of {} were still running: their tasks were spawned but nobody waited for \
             them, so their statuses were never collected; keep each task's JoinHandle and await \
             it",
            got.len(),
            want.len(),
            ms(outcome.returned_at),
            outcome.in_flight_at_return.join(", ")
        );
    }
    let hosts =
        |statuses: &[Status]| -> Vec<String> { statuses.iter().map(|s| s.host.clone()).collect() };
    assert!(
        hosts(got) == hosts(&want),
        "check_all returned statuses for the hosts {:?}, but was asked about {:?}: one status \
         per host, in the order given",
        hosts(got),
        hosts(&want)
    );
    for (got, want) in got.iter().zip(&want) {
        let why = match fleet
            .iter()
            .find(|(host, _)| *host == want.host)
            .map(|f| f.1)
        {
            Some(Answers::After(latency, healthy)) => format!(
                "it answered {} after {latency} ms, with a {} ms timeout",
                if healthy { "healthy" } else { "unhealthy" },
                ms(timeout)
            ),
            _ => format!("it never answered, and the timeout is {} ms", ms(timeout)),
        };
        assert!(
            got.up == want.up,
            "{} was reported {}, but {why}: it is {}",
            want.host,
            if got.up { "up" } else { "down" },
            if want.up { "up" } else { "down" }
        );
    }
}

const FLEET: [(&str, Answers); 4] = [
    ("db-1.internal", Answers::After(300, true)),
    ("cache-2.internal", Answers::After(100, true)),
    ("api-3.internal", Answers::After(200, false)),
    ("queue-9.internal", Answers::After(250, true)),
];

#[test]
fn probes_every_host_at_the_same_time() {
    let timeout = Duration::from_secs(1);
    let outcome = probe_fleet(timeout, &FLEET);
    outcome
        .timeline
        .check_all_at_once(
            Duration::from_millis(300),
            "the monitor waited for each host before probing the next; have every host's \
             probe task running before you await any of them",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    check_statuses(&FLEET, timeout, &outcome);
    assert!(
        outcome.returned_at == Duration::from_millis(300),
        "check_all returned after {} ms of virtual time, but the slowest host answers after \
         300 ms and all were probed at once: return as soon as the last answer is in",
        ms(outcome.returned_at)
    );
}

#[test]
fn probes_each_host_in_a_task_of_its_own() {
    let outcome = probe_fleet(Duration::from_secs(1), &FLEET);
    check_own_tasks(&outcome);
}

#[test]
fn a_host_that_does_not_answer_in_time_is_down() {
    for timeout in [Duration::from_millis(750), Duration::from_secs(2)] {
        let fleet = [
            ("mail-4.internal", Answers::Never),
            ("search-5.internal", Answers::After(1500, true)),
            ("web-6.internal", Answers::After(100, true)),
        ];
        let outcome = probe_fleet(timeout, &fleet);
        check_statuses(&fleet, timeout, &outcome);
        assert!(
            outcome.returned_at == timeout,
            "with a {} ms timeout and a host that never answers, check_all returned after {} ms \
             of virtual time: every probe should give up at the timeout, all at once",
            ms(timeout),
            ms(outcome.returned_at)
        );
    }
    // A zero timeout: only an answer that is there at once (a cached health page) counts.
    let fleet = [
        ("cdn-7.internal", Answers::After(0, true)),
        ("web-6.internal", Answers::After(10, true)),
    ];
    let outcome = probe_fleet(Duration::ZERO, &fleet);
    check_statuses(&fleet, Duration::ZERO, &outcome);
}

#[test]
fn leaves_no_task_and_no_copy_of_the_settings_behind() {
    let timeout = Duration::from_millis(500);
    let fleet = [
        ("db-1.internal", Answers::After(100, true)),
        ("mail-4.internal", Answers::Never),
        ("web-6.internal", Answers::After(50, false)),
    ];
    let outcome = probe_fleet(timeout, &fleet);
    check_statuses(&fleet, timeout, &outcome);
    check_nothing_left_running(&outcome, timeout);
    assert!(
        outcome.copies_left == 0,
        "after check_all had returned and its runtime had shut down, the settings' HTTP client \
         still had {} holder(s) besides the caller: copies of the settings made for the tasks \
         were leaked (a &'static made by leaking?) and are never freed, so the monitor grows by \
         one probe round's worth of settings every minute; give each task an owned copy (or an \
         Arc) that is dropped when the task ends",
        outcome.copies_left
    );
}

#[test]
fn no_hosts_no_statuses() {
    let outcome = probe_fleet(Duration::from_secs(1), &[]);
    assert!(
        outcome.statuses.is_empty(),
        "no hosts, but check_all returned {} status(es)",
        outcome.statuses.len()
    );
    assert!(
        outcome.returned_at == Duration::ZERO,
        "no hosts, but check_all took {} ms of virtual time: there is nothing to wait for",
        ms(outcome.returned_at)
    );
}
