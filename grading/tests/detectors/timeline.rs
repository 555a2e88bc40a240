use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::assert_says;

const SECOND: Duration = Duration::from_secs(1);

async fn fetch(name: &'static str) -> &'static str {
    tokio::time::sleep(SECOND).await;
    name
}

#[test]
fn sequential_awaits_are_drawn_next_to_the_expected_overlap() {
    let verdict = paused_clock().run(|| async {
        let timeline = Timeline::new();
        for name in ["fetch a", "fetch b", "fetch c"] {
            timeline.op(name, fetch(name)).await;
        }
        timeline
            .check_all_at_once(SECOND, "start all three before awaiting any (join!)")
            .unwrap_err()
    });
    assert_eq!(
        verdict,
        "ran one after another: fetch a and fetch b never ran at the same time, and the 3 \
         operations took 3.0 s of virtual time where ≈1.0 s was expected; start all three \
         before awaiting any (join!)\n\
         expected (≈1.0 s)                  actual (3.0 s)\n\
         fetch a ████████                   fetch a ████████\n\
         fetch b ████████                   fetch b         ████████\n\
         fetch c ████████                   fetch c                 ████████"
    );
}

#[test]
fn concurrent_operations_pass() {
    let took = paused_clock().run(|| async {
        let timeline = Timeline::new();
        let (a, b, c) = tokio::join!(
            timeline.op("fetch a", fetch("a")),
            timeline.op("fetch b", fetch("b")),
            timeline.op("fetch c", fetch("c")),
        );
        assert_eq!((a, b, c), ("a", "b", "c"));
        timeline.check_all_at_once(SECOND, "").unwrap();
        timeline.elapsed()
    });
    assert_eq!(took, SECOND);
}

#[test]
fn a_bound_on_virtual_time_is_checked() {
    let verdict = paused_clock().run(|| async {
        let timeline = Timeline::new();
        tokio::join!(
            timeline.op("fetch a", fetch("a")),
            timeline.op("fetch b", async {
                tokio::time::sleep(SECOND * 2).await;
            }),
        );
        timeline
            .check_all_at_once(SECOND, "give up after 1 s")
            .unwrap_err()
    });
    assert_says(
        &verdict,
        &[
            "took 2.0 s of virtual time, more than the 1.0 s allowed; give up after 1 s",
            "actual (2.0 s)",
        ],
    );
}

#[test]
fn an_operation_that_never_finishes_is_drawn_unfinished() {
    let verdict = paused_clock().run(|| async {
        let timeline = Timeline::new();
        let never = timeline.op("fetch b", std::future::pending::<()>());
        let _ = tokio::time::timeout(SECOND * 2, async {
            tokio::join!(timeline.op("fetch a", fetch("a")), never)
        })
        .await;
        timeline
            .check_all_at_once(SECOND, "answer every fetch")
            .unwrap_err()
    });
    assert_says(
        &verdict,
        &[
            "fetch b never finished (2.0 s of virtual time in)",
            "░ (never finished)",
        ],
    );
}

#[test]
fn turns_must_not_overlap() {
    paused_clock().run(|| async {
        let timeline = Timeline::new();
        tokio::join!(
            timeline.op("write 1", fetch("1")),
            timeline.op("write 2", fetch("2"))
        );
        let verdict = timeline
            .check_one_after_another("hold the lock across the write")
            .unwrap_err();
        assert_says(
            &verdict,
            &[
                "write 1 and write 2 ran at the same time, where they must take turns",
                "expected (≈2.0 s)",
            ],
        );

        let turns = Timeline::new();
        turns.op("write 1", fetch("1")).await;
        turns.op("write 2", fetch("2")).await;
        turns.check_one_after_another("").unwrap();
    });
}

#[test]
fn spans_can_be_marked_by_hand() {
    paused_clock().run(|| async {
        let timeline = Timeline::new();
        let span = timeline.begin("cook");
        tokio::time::sleep(SECOND).await;
        span.end();
        assert_eq!(timeline.spans()[0].end, Some(SECOND));
    });
}
