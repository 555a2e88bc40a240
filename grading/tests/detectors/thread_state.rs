//! `ThreadCpu`'s looks at a thread from outside (Linux's /proc): asleep or not, how many times
//! it went to sleep, whether its sleep has a timeout. Elsewhere every look is `None`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use asynclings_grading::cpu::ThreadCpu;
use asynclings_grading::prelude::*;

/// Starts a thread that reports itself, then waits as `wait` says until `stop` is set.
fn waiting_thread(
    wait: fn(),
    stop: Arc<AtomicBool>,
) -> (Option<ThreadCpu>, thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        tx.send(ThreadCpu::current()).unwrap();
        while !stop.load(Ordering::SeqCst) {
            wait();
        }
    });
    (rx.recv().unwrap(), handle)
}

#[test]
fn a_timed_sleep_and_an_untimed_park_are_told_apart() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (timed, timed_handle) = waiting_thread(
        || thread::park_timeout(Duration::from_secs(5)),
        stop.clone(),
    );
    let (untimed, untimed_handle) = waiting_thread(thread::park, stop.clone());
    let (timed, untimed) = (timed.unwrap(), untimed.unwrap());
    assert!(wait_until(Duration::from_secs(5), || {
        timed.is_sleeping() == Some(true) && untimed.is_sleeping() == Some(true)
    }));
    // Known bad for "it will wake up by itself": an untimed park. Known good: a timed one.
    assert!(wait_until(Duration::from_secs(5), || timed
        .sleep_is_timed()
        == Some(true)));
    assert_eq!(untimed.sleep_is_timed(), Some(false));
    let before = untimed.voluntary_sleeps().unwrap();
    stop.store(true, Ordering::SeqCst);
    timed_handle.thread().unpark();
    untimed_handle.thread().unpark();
    timed_handle.join().unwrap();
    untimed_handle.join().unwrap();
    assert!(before >= 1);
}

#[test]
fn a_spinning_thread_is_not_asleep() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let _turn = crate::cpu_turn();
    let stop = Arc::new(AtomicBool::new(false));
    let (spinner, handle) = waiting_thread(std::hint::spin_loop, stop.clone());
    let spinner = spinner.unwrap();
    let awake = (0..20).filter(|_| {
        thread::sleep(Duration::from_millis(5));
        spinner.is_sleeping() == Some(false)
    });
    let awake = awake.count();
    stop.store(true, Ordering::SeqCst);
    handle.join().unwrap();
    assert!(awake >= 16, "runnable in only {awake} of 20 looks");
}
