//! The defaults of `Run`: blocking polls, stalls and busy loops anywhere on the runtime, on
//! paused and real clocks, current-thread and multi-thread, each worded by its kind; what was
//! still pending named in would-hang and watchdog verdicts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::{assert_says, cpu_turn, verdict_of};

const SECOND: Duration = Duration::from_secs(1);

/// Known good: timers, a channel, a spawned task and a little work between awaits.
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
        sum += i;
    }
    sum
}

#[test]
fn a_blocking_poll_fails_a_run_by_default() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            tokio::task::yield_now().await;
            // Known bad: a thread sleep inside async code.
            std::thread::sleep(Duration::from_millis(700));
        });
    });
    // 700 ms asleep; a loaded machine may keep the thread from waking up until after HUNG,
    // and then the poll is named while it runs: the same class, the same words otherwise.
    assert!(
        verdict.starts_with("one poll took ")
            || verdict.starts_with("one poll had not returned after "),
        "{verdict}"
    );
    assert_says(
        &verdict,
        &["something inside async code blocked the thread (std::thread::sleep"],
    );
}

#[test]
fn the_graders_words_name_a_blocking_poll() {
    let verdict = verdict_of(|| {
        real_clock()
            .on_blocked("brew_flat_white blocked the runtime's thread: await, never sleep")
            .on_never_woken("brew_flat_white was never woken")
            .run(|| async { std::thread::sleep(Duration::from_millis(700)) });
    });
    assert_says(
        &verdict,
        &[
            "brew_flat_white blocked the runtime's thread: await, never sleep (one poll took ",
            "ms: it blocked the thread)",
        ],
    );
    assert!(!verdict.contains("never woken"), "{verdict}");
}

#[test]
fn a_poll_that_never_returns_is_named_within_hung_not_at_the_limit() {
    let began = Instant::now();
    let verdict = verdict_of(|| {
        real_clock()
            .limit(SECOND * 20)
            .on_blocked("the checkout blocked its thread")
            .run(|| async {
                // Known bad: waits for a gate nobody opens (gives up after 5 s, so the
                // abandoned thread ends).
                let gate = Gate::new(SECOND * 5);
                gate.wait();
            });
    });
    assert_says(
        &verdict,
        &[
            "the checkout blocked its thread (one poll had not returned after 1.",
            "s: it blocked the thread)",
        ],
    );
    assert!(began.elapsed() < SECOND * 5, "{:?}", began.elapsed());
}

#[test]
fn blocking_inside_a_spawned_task_stalls_the_runtime() {
    let verdict = verdict_of(|| {
        paused_clock().run(|| async {
            // Known bad: blocking I/O (here a sleep) inside tokio::spawn; the future under test
            // itself never blocks.
            let reader = tokio::spawn(async { std::thread::sleep(Duration::from_millis(800)) });
            tokio::time::sleep(SECOND).await;
            reader.await.unwrap();
        });
    });
    assert_says(
        &verdict,
        &[
            "the runtime stalled for ",
            "a task held its thread without returning to the scheduler",
        ],
    );
}

static STOP_SPINNING: AtomicBool = AtomicBool::new(false);

#[test]
fn a_runtime_that_never_goes_idle_is_busy_not_deadlocked() {
    let _turn = cpu_turn();
    let began = Instant::now();
    let verdict = verdict_of(|| {
        paused_clock()
            .limit(SECOND * 3)
            .on_busy("the watcher spins instead of waiting")
            .on_never_woken("deadlock")
            .run(|| async {
                // Known bad: a task that yields in a loop, waiting for a flag.
                tokio::spawn(async {
                    while !STOP_SPINNING.load(Ordering::Relaxed) {
                        tokio::task::yield_now().await;
                    }
                });
                tokio::time::sleep(SECOND).await;
            });
    });
    STOP_SPINNING.store(true, Ordering::Relaxed);
    assert_says(
        &verdict,
        &[
            "the watcher spins instead of waiting (busy loop: the runtime did not go idle for ",
            "of real time and virtual time stood still at 0 ms",
        ],
    );
    assert!(began.elapsed() < SECOND * 3, "{:?}", began.elapsed());
}

static STOP_WORKER: AtomicBool = AtomicBool::new(false);

#[test]
fn a_spinning_worker_of_a_multi_thread_runtime_is_busy() {
    let _turn = cpu_turn();
    let verdict = verdict_of(|| {
        real_clock()
            .multi_thread(2)
            .limit(SECOND * 4)
            .run(|| async {
                tokio::spawn(async {
                    while !STOP_WORKER.load(Ordering::Relaxed) {
                        tokio::task::yield_now().await;
                    }
                });
                tokio::time::sleep(SECOND * 3).await;
            });
    });
    STOP_WORKER.store(true, Ordering::Relaxed);
    assert_says(&verdict, &["busy loop: the runtime did not go idle for "]);
}

#[test]
fn a_blocked_worker_of_a_multi_thread_runtime_is_blocking() {
    let verdict = verdict_of(|| {
        real_clock()
            .multi_thread(2)
            .limit(SECOND * 4)
            .run(|| async {
                let reader = tokio::spawn(async { std::thread::sleep(SECOND * 2) });
                reader.await.unwrap();
            });
    });
    // Which of the two is seen first depends on where tokio put the heartbeat; both say
    // "blocked" and name the blocking causes.
    assert!(
        verdict.contains("a worker thread of the runtime was blocked for ")
            || verdict.contains("the runtime had stalled for "),
        "{verdict}"
    );
    assert_says(&verdict, &["(std::thread::sleep, blocking I/O"]);
}

#[test]
fn an_idle_check_that_nothing_wakes_is_worded_apart() {
    let verdict = verdict_of(|| {
        real_clock()
            .limit(Duration::from_millis(500))
            .on_blocked("the checkout blocked its thread")
            .on_never_woken("nothing woke the checkout")
            .run(|| async {
                let (_kept, never) = tokio::sync::oneshot::channel::<()>();
                let _ = never.await;
            });
    });
    assert_says(
        &verdict,
        &["nothing woke the checkout (still running at the 500 ms limit"],
    );
    if cfg!(target_os = "linux") {
        assert_says(&verdict, &["its thread sat idle"]);
    }
    assert!(!verdict.contains("blocked its thread"), "{verdict}");
}

#[test]
fn blocking_can_be_allowed_for_a_stated_reason() {
    let took = real_clock()
        .allow_blocking("the check measures the poll itself")
        .run(|| async {
            let began = Instant::now();
            std::thread::sleep(Duration::from_millis(600));
            began.elapsed()
        });
    assert!(took >= Duration::from_millis(600));
}

#[test]
fn polite_runtimes_pass_on_every_clock_and_flavour() {
    assert_eq!(paused_clock().run(waits_politely), 190);
    assert_eq!(real_clock().run(waits_politely), 190);
    assert_eq!(real_clock().multi_thread(2).run(waits_politely), 190);
}

#[test]
fn the_heartbeat_does_not_move_virtual_time() {
    // Nothing but the heartbeat runs for a while of real time: virtual time stays put.
    let (jumped, took) = paused_clock().run_timed(|| async {
        let began = tokio::time::Instant::now();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let _ = tx.send(());
        });
        rx.await.unwrap();
        began.elapsed()
    });
    assert_eq!((jumped, took), (Duration::ZERO, Duration::ZERO));
}

#[test]
fn would_hang_names_timeline_lanes_and_probes_still_pending() {
    let verdict = verdict_of(|| {
        paused_clock()
            .would_hang_after(Duration::from_secs(60), "answer every fetch")
            .run(|| async {
                let timeline = Timeline::new();
                let probes = Probes::new();
                let (_kept, never) = tokio::sync::oneshot::channel::<()>();
                let _ = tokio::join!(
                    timeline.op("fetch a", tokio::time::sleep(SECOND)),
                    timeline.op("fetch b", std::future::pending::<()>()),
                    probes.watch("lock b", never),
                );
            });
    });
    assert_says(
        &verdict,
        &[
            "would wait forever: nothing can wake it (",
            "still waiting on: timeline lane `fetch b` (started at 0.0 s of virtual time, never \
             finished), `lock b` (pending, polled 2 times)); answer every fetch",
        ],
    );
    assert!(!verdict.contains("fetch a"), "{verdict}");
}

#[test]
fn the_watchdog_names_lanes_still_pending_in_real_time() {
    let verdict = verdict_of(|| {
        real_clock()
            .limit(Duration::from_millis(400))
            .run(|| async {
                let timeline = Timeline::new();
                timeline.op("unload", std::future::pending::<()>()).await;
            });
    });
    assert_says(
        &verdict,
        &[
            "deadlock, or never woken: the check never finished (still running at the 400 ms limit",
            "still waiting on: timeline lane `unload` (started at 0.0 s",
        ],
    );
}

/// Known bad for the busy check: the future under test returns, but a blocking-pool task it
/// started never ends, so dropping the runtime waits for it. Not a busy loop (nothing runs),
/// whatever is allowed: the verdict says what the shutdown waits for.
#[test]
fn a_runtime_that_cannot_shut_down_is_not_called_busy() {
    for flavour in ["current-thread", "multi-thread"] {
        for allow_blocking in [false, true] {
            let mut run = real_clock().limit(Duration::from_millis(1500));
            if flavour == "multi-thread" {
                run = run.multi_thread(2);
            }
            if allow_blocking {
                run = run.allow_blocking("the grader measures blocking itself");
            }
            let verdict = verdict_of(move || {
                run.run(|| async {
                    drop(tokio::task::spawn_blocking(|| {
                        std::thread::sleep(SECOND * 4)
                    }));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                });
            });
            assert_says(
                &verdict,
                &[
                    "the future under test finished, but the runtime could not shut down: a task \
                     on its blocking pool (spawn_blocking) never returned",
                ],
            );
            assert!(!verdict.contains("busy loop"), "{flavour}: {verdict}");
        }
    }
}

/// Known bad, twice: a check that nothing wakes and a poll that never returns. Each verdict
/// reads the same, to the letter, on both runs: figures of things still going on are the
/// bounds they crossed, not the moment the watchdog happened to look.
#[test]
fn a_hung_check_reads_the_same_on_every_run() {
    let never_woken = || {
        verdict_of(|| {
            real_clock()
                .limit(Duration::from_millis(300))
                .run(|| async {
                    let (_kept, never) = tokio::sync::oneshot::channel::<()>();
                    let _ = never.await;
                });
        })
    };
    assert_eq!(never_woken(), never_woken());
    let blocked = || {
        verdict_of(|| {
            real_clock().limit(SECOND * 20).run(|| async {
                let (_kept, never) = std::sync::mpsc::channel::<()>();
                let _ = never.recv_timeout(SECOND * 3);
            });
        })
    };
    let first = blocked();
    assert_eq!(first, blocked());
    assert_says(&first, &["one poll had not returned after 1.00 s"]);
}

/// Known bad: a task blocks the runtime's thread in short pieces (a 60 ms blocking call per
/// item, a yield between): no single stall is long, and the runtime never goes idle, but its
/// thread sits asleep, not computing. That is blocking, not a busy loop.
#[test]
fn blocking_in_short_pieces_is_blocking_not_busy() {
    let verdict = verdict_of(|| {
        real_clock().limit(SECOND * 4).run(|| async {
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(60));
                tokio::task::yield_now().await;
            }
        });
    });
    assert_says(
        &verdict,
        &["sat blocked (asleep, not computing) most of that time: tasks blocked it in pieces"],
    );
    assert!(!verdict.contains("busy loop"), "{verdict}");
}
