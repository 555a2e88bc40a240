use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::{assert_says, verdict_of};

#[test]
fn a_panic_in_a_task_nobody_awaited_fails_the_check() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            // Known bad: the handle is dropped, so tokio keeps the panic to itself.
            drop(tokio::spawn(async { panic!("the audit log is full") }));
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
    });
    assert_says(
        &verdict,
        &[
            "a spawned task panicked: \"the audit log is full\" at ",
            "await the JoinHandle",
        ],
    );
}

#[test]
fn a_panic_on_a_multi_thread_runtime_fails_the_check_too() {
    let verdict = verdict_of(|| {
        real_clock().multi_thread(2).run(|| async {
            let _ = tokio::spawn(async { panic!("worker fell over") }).await;
        });
    });
    assert_says(&verdict, &["a spawned task panicked: \"worker fell over\""]);
}

#[test]
fn a_panic_in_spawn_blocking_nobody_awaited_fails_the_check() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            drop(tokio::task::spawn_blocking(|| panic!("the disk is gone")));
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
    });
    assert_says(&verdict, &["a spawned task panicked: \"the disk is gone\""]);
}

#[test]
fn tasks_that_finish_pass() {
    let answer = paused_clock().run(|| async { tokio::spawn(async { 6 * 7 }).await.unwrap() });
    assert_eq!(answer, 42);
}

#[test]
fn expected_task_panics_can_be_allowed() {
    let joined = paused_clock()
        .allow_task_panics()
        .run(|| async { tokio::spawn(async { panic!("expected") }).await.is_err() });
    assert!(joined);
}

#[test]
fn a_guard_watches_a_tokio_test_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let panics = TaskPanics::new();
    runtime.block_on(async {
        let _watching = panics.watch_this_thread();
        drop(tokio::spawn(async { panic!("lost") }));
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
    });
    assert_says(&panics.check().unwrap_err(), &["\"lost\""]);
    // The grader's own panics (not in a task) are not task panics.
    let quiet = TaskPanics::new();
    let _watching = quiet.watch_this_thread();
    let _ = std::panic::catch_unwind(|| panic!("a grader assertion"));
    quiet.check().unwrap();
}

#[test]
fn tokio_panics_become_verdicts() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {});
        });
    });
    assert_says(
        &verdict,
        &["started a runtime's block_on inside async code"],
    );

    let verdict = verdict_of(|| {
        paused_clock()
            .explain_panics(|message| {
                message
                    .contains("multi-threaded runtime")
                    .then(|| "the greeting called block_in_place".to_owned())
            })
            .run(|| async { tokio::task::block_in_place(|| ()) });
    });
    assert_says(&verdict, &["the greeting called block_in_place"]);
}

/// Known bad: a synchronous wait on a tokio channel inside async code; tokio refuses it with
/// "Cannot block the current thread from within a runtime", which becomes a verdict naming
/// the synchronous wait. Known good: the same wait awaited.
#[test]
fn a_synchronous_wait_inside_async_code_is_explained() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
            tx.send(7).await.unwrap();
            rx.blocking_recv()
        });
    });
    assert_says(
        &verdict,
        &[
            "waited synchronously (a block_on, or a blocking_recv",
            "inside async code, and tokio panics on that",
            ".await the future instead",
        ],
    );
    let received = paused_clock().run(|| async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        tx.send(7).await.unwrap();
        rx.recv().await
    });
    assert_eq!(received, Some(7));
}

#[test]
#[ignore = "run in a child process by the test below"]
fn child() {
    if crate::child_scenario() == "repeated" {
        paused_clock()
            .allow_task_panics()
            .allow_blocking(
                "500 panics caught in one poll take their time; the output is the point",
            )
            .run(|| async {
                tokio::spawn(async {
                    for _ in 0..500 {
                        // Known bad: a loop that swallows the same panic on every round.
                        let _ = std::panic::catch_unwind(|| panic!("resumed after completion"));
                    }
                })
                .await
                .unwrap();
            });
    }
}

#[test]
fn a_repeated_panic_is_printed_once_with_a_count() {
    let child = crate::run_child("panics::child", "repeated");
    assert_eq!(child.code, Some(0), "{}", child.stderr);
    assert_eq!(
        child.stderr.matches("resumed after completion").count(),
        2,
        "{}",
        child.stderr
    );
    assert_says(
        &child.stderr,
        &["\"resumed after completion\", happened 499 more time(s); repeats are not printed)"],
    );
}
