use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;
use rayon::prelude::*;

use crate::{assert_says, cpu_turn};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn spin(for_how_long: Duration) -> u64 {
    let until = Instant::now() + for_how_long;
    let mut n = 0u64;
    while Instant::now() < until {
        n = n.wrapping_add(1);
        std::hint::spin_loop();
    }
    n
}

/// Computes until the thread has used `cpu` of CPU time and `wall` has passed (at most 10 s):
/// CPU work of a known size, however loaded the machine.
fn compute(cpu: Duration, wall: Duration) {
    let me = asynclings_grading::cpu::ThreadCpu::current();
    let start_cpu = me.and_then(|t| t.used()).unwrap_or_default();
    let started = Instant::now();
    let used = || {
        me.and_then(|t| t.used())
            .map_or(started.elapsed(), |now| now.saturating_sub(start_cpu))
    };
    while (used() < cpu || started.elapsed() < wall) && started.elapsed() < Duration::from_secs(10)
    {
        spin(Duration::from_millis(5));
    }
}

#[test]
fn sequential_work_never_meets_at_the_rendezvous() {
    let meeting = Rendezvous::new(2, Duration::from_millis(300));
    pool(2).install(|| (0..4).for_each(|_| meeting.arrive()));
    let verdict = meeting.check_met("use par_iter").unwrap_err();
    assert_says(
        &verdict,
        &[
            "ran one item at a time: the first item waited ",
            "for 1 other(s) to run alongside it, and only 0 did; use par_iter",
        ],
    );
}

/// Known bad: a pool of 2 where 3 must meet: the meeting is given up, and it tells that 2 ran
/// at once (the figure for "only 2 of 3"). Known good: sequential work counts 1.
#[test]
fn a_meeting_given_up_says_how_many_ran_at_once() {
    let partial = Rendezvous::new(3, Duration::from_millis(300));
    pool(2).install(|| (0..6).into_par_iter().for_each(|_| partial.arrive()));
    assert!(!partial.met());
    assert_eq!(partial.arrived(), 2);
    let sequential = Rendezvous::new(3, Duration::from_millis(300));
    (0..6).for_each(|_| sequential.arrive());
    assert_eq!(sequential.arrived(), 1);
}

#[test]
fn parallel_work_meets_at_the_rendezvous() {
    let meeting = Rendezvous::new(2, Duration::from_secs(10));
    let placement = Placement::new();
    pool(2).install(|| {
        (0..4)
            .into_par_iter()
            .for_each(|_| placement.record(|| meeting.arrive()))
    });
    meeting.check_met("").unwrap();
    // Both workers of the pool took part: the meeting needed two at once.
    assert_eq!(placement.rayon_threads().len(), 2);
    placement.check_on_rayon("").unwrap();
}

#[test]
fn cpu_work_on_the_runtime_thread_is_named_with_the_stall() {
    let _turn = cpu_turn();
    let (placement, ticks) = real_clock()
        .limit(Duration::from_secs(20))
        .allow_blocking("this check measures the stall itself, with Placement and a Ticker")
        .run(|| async {
            let placement = Placement::new();
            let ticker = Ticker::start(Duration::from_millis(10));
            tokio::time::sleep(Duration::from_millis(20)).await;
            // Known bad: the hashing runs right inside async code.
            placement.record(|| compute(Duration::from_millis(80), Duration::from_millis(400)));
            tokio::time::sleep(Duration::from_millis(20)).await;
            (placement, ticker.stop())
        });
    let verdict = placement
        .check_off_runtime("hand it to rayon and await a oneshot")
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "CPU work ran on the tokio runtime's thread (1 of 1 call(s)) and stalled the runtime for ",
            "hand it to rayon and await a oneshot",
        ],
    );
    assert!(ticks.stall() >= Duration::from_millis(390), "{ticks:?}");
}

#[test]
fn cpu_work_handed_to_rayon_passes() {
    let _turn = cpu_turn();
    let placement = real_clock().run(|| async {
        let placement = Placement::new();
        let (done, result) = tokio::sync::oneshot::channel();
        let work = placement.clone();
        rayon::spawn(move || {
            let _ = done.send(work.record(|| spin(Duration::from_millis(100))));
        });
        result.await.unwrap();
        placement
    });
    placement.check_off_runtime("").unwrap();
    placement.check_on_rayon("").unwrap();
}

#[test]
fn work_on_plain_threads_is_not_on_rayon() {
    let placement = Placement::new();
    let work = placement.clone();
    std::thread::spawn(move || work.record(|| ()))
        .join()
        .unwrap();
    let verdict = placement.check_on_rayon("use the pool").unwrap_err();
    assert_says(
        &verdict,
        &["ran outside the rayon pool: 1 of 1 call(s) on 1 thread(s)"],
    );
}

#[test]
fn sleeping_inside_the_pool_is_pool_starvation() {
    let placement = Placement::new();
    pool(2).install(|| {
        (0..4).into_par_iter().for_each(|_| {
            placement.record(|| std::thread::sleep(Duration::from_millis(30)));
        })
    });
    let verdict = placement
        .check_no_blocking_on_rayon("fetch with spawn_blocking, then hash on rayon")
        .unwrap_err();
    assert_says(
        &verdict,
        &[
            "blocked the rayon pool: 4 blocking call(s) ran on rayon workers (threads #",
            "(pool starvation); fetch with spawn_blocking",
        ],
    );
}

#[test]
fn blocking_outside_the_pool_passes() {
    let placement = real_clock().run(|| async {
        let placement = Placement::new();
        let work = placement.clone();
        tokio::task::spawn_blocking(move || {
            work.record(|| std::thread::sleep(Duration::from_millis(30)))
        })
        .await
        .unwrap();
        placement
    });
    placement.check_no_blocking_on_rayon("").unwrap();
}

#[test]
fn blocking_io_on_the_runtime_thread_is_worded_as_blocking() {
    let placement = real_clock()
        .allow_blocking("this check names the blocking itself, with Placement")
        .run(|| async {
            let placement = Placement::new();
            // Known bad: a blocking read (here a sleep) right inside async code.
            placement.record(|| std::thread::sleep(Duration::from_millis(300)));
            placement
        });
    assert_says(
        &placement
            .check_off_runtime("use tokio::fs or spawn_blocking")
            .unwrap_err(),
        &[
            "blocking calls (the thread waited, it did not compute: blocking I/O, a sleep, a \
           lock) ran on the tokio runtime's thread (1 of 1 call(s))",
        ],
    );
}

/// Known bad: work recorded in a task of a multi-thread runtime runs on a worker, and a worker
/// is the runtime's thread too (`run_spawned` puts the future under test on a worker, as a
/// server's handler is). Known good: the same work moved to the blocking pool is not.
#[test]
fn work_in_a_task_on_a_worker_counts_as_on_the_runtime() {
    // Made outside the runtime, so only the worker's own mark can tell where the work ran.
    let (on_worker, in_pool) = (Placement::new(), Placement::new());
    let (worker, pool) = (on_worker.clone(), in_pool.clone());
    real_clock()
        .multi_thread(2)
        .allow_blocking("this check names the blocking itself, with Placement")
        .run_spawned(move || async move {
            worker.record(|| std::thread::sleep(Duration::from_millis(20)));
            tokio::task::spawn_blocking(move || {
                pool.record(|| std::thread::sleep(Duration::from_millis(20)))
            })
            .await
            .unwrap();
        });
    assert_says(
        &on_worker
            .check_off_runtime("use spawn_blocking")
            .unwrap_err(),
        &["ran on the tokio runtime's thread (1 of 1 call(s))"],
    );
    in_pool.check_off_runtime("use spawn_blocking").unwrap();
}

/// `cpu_while` measures the CPU of the whole process: these run in a child process of their
/// own, as every check of a grade does, so that other tests' CPU does not count.
#[test]
#[ignore = "run in a child process by the tests below"]
fn child() {
    match crate::child_scenario().as_str() {
        "computing" => {
            let (_, cpu) = cpu_while(|| {
                pool(2).install(|| {
                    (0..4)
                        .into_par_iter()
                        .for_each(|_| compute(Duration::from_millis(50), Duration::ZERO))
                })
            });
            cpu.check_not_idle(Duration::from_millis(100), "").unwrap();
        }
        "idle" => {
            let ((), cpu) = cpu_while(|| {
                pool(2).install(|| {
                    (0..4)
                        .into_par_iter()
                        .for_each(|_| std::thread::sleep(Duration::from_millis(150)))
                })
            });
            if cpu.cpu.is_some() {
                let verdict = cpu
                    .check_not_idle(Duration::from_millis(200), "no sleeps in the pool")
                    .unwrap_err();
                assert_says(
                    &verdict,
                    &["of wall-clock time but only ", "no sleeps in the pool"],
                );
            }
        }
        _ => {}
    }
}

#[test]
fn a_computing_pool_is_not_idle() {
    let _turn = cpu_turn();
    let child = crate::run_child("rayon_placement::child", "computing");
    assert_eq!(child.code, Some(0), "{}", child.stderr);
}

#[test]
fn an_idle_pool_is_seen_from_its_cpu_use() {
    let child = crate::run_child("rayon_placement::child", "idle");
    assert_eq!(child.code, Some(0), "{}", child.stderr);
}
