//! Bounded concurrency on a Timeline: "at most N in flight" and "no idle slot while work
//! waits", with verdicts that name the moment.

use std::time::Duration;

use asynclings_grading::prelude::*;
use futures::StreamExt;

use crate::assert_says;

const SECOND: Duration = Duration::from_secs(1);

/// Five downloads of 1, 1, 3, 1 and 1 s.
const JOBS: [(&str, u64); 5] = [
    ("job 1", 1),
    ("job 2", 1),
    ("job 3", 3),
    ("job 4", 1),
    ("job 5", 1),
];

fn download(timeline: &Timeline, (name, secs): (&'static str, u64)) -> impl Future<Output = ()> {
    timeline.op(name, tokio::time::sleep(SECOND * secs as u32))
}

#[test]
fn all_at_once_breaks_the_bound_at_the_first_moment() {
    let verdict = paused_clock().run(|| async {
        let timeline = Timeline::new();
        // Known bad: no bound at all.
        futures::future::join_all(JOBS.map(|job| download(&timeline, job))).await;
        timeline
            .check_at_most_in_flight(3, "use buffer_unordered(3)")
            .unwrap_err()
    });
    assert_says(
        &verdict,
        &[
            "5 operations were in flight at 0.0 s of virtual time (job 1, job 2, job 3, job 4, \
             job 5), more than the 3 allowed at once; use buffer_unordered(3)",
            "expected (≈3.0 s)",
        ],
    );
}

#[test]
fn batches_leave_a_slot_idle_while_work_waits() {
    let verdict = paused_clock().run(|| async {
        let timeline = Timeline::new();
        // Known bad: batches of three wait for the slowest of each batch.
        for batch in JOBS.chunks(3) {
            futures::future::join_all(batch.iter().map(|job| download(&timeline, *job))).await;
        }
        timeline.check_at_most_in_flight(3, "").unwrap();
        timeline
            .check_no_idle_slot(3, "keep 3 in flight (buffer_unordered, not chunks)")
            .unwrap_err()
    });
    assert_says(
        &verdict,
        &[
            "a slot sat idle while work waited: at 1.0 s of virtual time only 1 of 3 operations \
             were in flight (job 3), while job 4, job 5 had not started yet (job 4 started only \
             at 3.0 s); keep 3 in flight (buffer_unordered, not chunks)",
            "job 4       ██████               job 4                   ██████",
        ],
    );
}

#[test]
fn a_bounded_stream_passes_both() {
    paused_clock().run(|| async {
        let timeline = Timeline::new();
        futures::stream::iter(JOBS)
            .map(|job| download(&timeline, job))
            .buffer_unordered(3)
            .collect::<Vec<()>>()
            .await;
        timeline.check_at_most_in_flight(3, "").unwrap();
        timeline.check_no_idle_slot(3, "").unwrap();
        assert_eq!(
            timeline.in_flight_at(SECOND * 3 / 2),
            ["job 3", "job 4", "job 5"]
        );
        assert_eq!(timeline.elapsed(), SECOND * 3);
    });
}
