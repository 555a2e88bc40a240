//! `WaitInOnePoll`: an operation polled again inside the very poll of the learner's future in
//! which it returned `Pending` was waited for without returning to the executor (a block_on
//! inside async code). Decided by poll serials, never by timing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;

/// The grader's operation: `Pending` until `ready` is set, every poll watched.
fn operation(
    watch: WaitInOnePoll,
    ready: Arc<AtomicBool>,
) -> impl std::future::Future<Output = ()> {
    std::future::poll_fn(move |cx| {
        watch.poll(|| {
            if ready.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                // A timer thread stands in for the event: it sets `ready` and wakes the task.
                let (waker, ready) = (cx.waker().clone(), Arc::clone(&ready));
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    ready.store(true, Ordering::SeqCst);
                    waker.wake();
                });
                Poll::Pending
            }
        })
    })
}

/// Known bad: the learner's future blocks on the operation (a `block_on` inside async code).
#[test]
fn a_block_on_inside_the_learners_future_waited_in_one_poll() {
    let watch = WaitInOnePoll::default();
    let (inside, ready) = (watch.clone(), Arc::new(AtomicBool::new(false)));
    real_clock()
        .allow_blocking("the check names the wait inside one poll itself")
        .run(move || {
            mark_polls("reload", async move {
                futures::executor::block_on(operation(inside, ready));
            })
        });
    assert_eq!(watch.waited_in_one_poll(), Some("reload"));
}

/// Known good: the learner's future awaits the operation: the second poll of the operation
/// comes in a later poll of the learner's future.
#[test]
fn an_awaited_operation_is_polled_again_in_a_later_poll() {
    let watch = WaitInOnePoll::default();
    let (inside, ready) = (watch.clone(), Arc::new(AtomicBool::new(false)));
    real_clock().run(move || mark_polls("reload", operation(inside, ready)));
    assert_eq!(watch.waited_in_one_poll(), None);
}
