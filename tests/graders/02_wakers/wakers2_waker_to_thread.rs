use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{BlockingJob, offload};

/// Jobs wait at most this long for the grader to open their gate.
const GATE_GIVES_UP_AFTER: Duration = Duration::from_millis(2500);

/// How long a check waits for the helper thread's wake-up once the job may finish.
const PATIENCE: Duration = Duration::from_secs(2);

const RESOLVED_EARLY: &str = "BlockingJob returned Ready while the job was still running: \
    return Pending until the helper thread has stored the result";

/// Jobs the grader hands out: each counts its start, waits for the grader to open the gate
/// (at most `GATE_GIVES_UP_AFTER`), counts its finish and returns its answer.
struct Probe {
    jobs: GatedJobs,
}

impl Probe {
    fn new() -> Self {
        Probe {
            jobs: GatedJobs::new(GATE_GIVES_UP_AFTER),
        }
    }

    fn job(&self, answer: u32) -> BlockingJob<u32> {
        BlockingJob::new(self.jobs.job(answer))
    }

    fn gate(&self) -> &Arc<Gate> {
        &self.jobs.gate
    }

    fn starts(&self) -> usize {
        self.jobs.starts()
    }
}

const DONT_WAIT_IN_POLL: &str = "don't wait for the job inside poll (no join, no recv, no \
    block_on): return Pending at once and let the helper thread wake the task";

fn polled_by_hand(job: BlockingJob<u32>) -> HandPoll<BlockingJob<u32>> {
    HandPoll::new(job)
        .named("BlockingJob")
        .blocking_fix(DONT_WAIT_IN_POLL)
}

#[test]
fn first_poll_returns_while_the_job_still_runs() {
    let probe = Probe::new();
    let mut job = polled_by_hand(probe.job(1));
    // The gate opens only after the poll returned: a poll that waits for the job blocks.
    let first = job.poll();
    probe.gate().open();
    job.check_no_blocking("return Pending at once and let the helper thread wake the task")
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert!(first.is_pending(), "{RESOLVED_EARLY}");
}

#[test]
fn helper_thread_wakes_the_task_with_the_result() {
    let probe = Probe::new();
    let mut job = polled_by_hand(probe.job(42));

    assert!(job.poll().is_pending(), "{RESOLVED_EARLY}");
    assert!(
        wait_until(Duration::from_secs(2), || probe.starts() > 0),
        "the job never started after the first poll: spawn the helper thread that runs it on \
         the first poll (or in new())"
    );
    job.check_no_self_wake(
        "give the helper thread a clone of the waker and let it wake the task",
    )
    .unwrap_or_else(|verdict| panic!("{verdict}"));
    job.check_woken_within(
        "the job's end",
        || probe.gate().open(),
        PATIENCE,
        "clone the waker out of cx before spawning, move the clone into the thread (or keep \
         it where the thread finds it), and wake() it once the result is stored",
    )
    .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(
        job.poll(),
        Poll::Ready(42),
        "woken by the helper thread, but the next poll did not return the job's result: store \
         the result where poll finds it before waking the task"
    );
}

#[test]
fn the_result_is_stored_before_the_task_is_woken() {
    let probe = Probe::new();
    // An executor at its most eager polls the task the instant the helper thread wakes it.
    let mut job = EagerPoll::new(probe.job(5))
        .named("BlockingJob")
        .blocking_fix(DONT_WAIT_IN_POLL);
    assert!(job.poll().is_pending(), "{RESOLVED_EARLY}");
    let gate = Arc::clone(probe.gate());
    let answer = job
        .check_ready_after(
            "the job's end",
            move || gate.open(),
            PATIENCE,
            "in the helper thread, store the result first and wake the waker after",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(answer, 5, "BlockingJob returned something other than the job's result");
}

#[test]
fn wakes_the_task_that_polled_last() {
    let probe = Probe::new();
    let mut job = polled_by_hand(probe.job(9));
    assert!(job.poll().is_pending(), "{RESOLVED_EARLY}");
    // The job moved to another task (a select! gave up on it), which polls it with its own waker.
    assert!(job.poll_with_new_waker().is_pending(), "{RESOLVED_EARLY}");
    job.check_woken_within(
        "the job's end",
        || probe.gate().open(),
        PATIENCE,
        "keep the waker where the thread finds it (next to the result) and replace it at every \
         poll: the thread must wake the task that awaits the job when it ends",
    )
    .unwrap_or_else(|verdict| panic!("{verdict}"));
}

#[test]
fn starts_the_job_once_however_often_it_is_polled() {
    const POLLS: usize = 20;
    let probe = Probe::new();
    let mut job = polled_by_hand(probe.job(7));

    for poll in 1..=POLLS {
        assert!(
            job.poll().is_pending(),
            "poll {poll} returned Ready while the job was still running: return Pending until \
             the helper thread has stored the result"
        );
    }
    assert!(
        wait_until(Duration::from_secs(2), || probe.starts() > 0),
        "the job never started after {POLLS} polls: spawn the helper thread that runs it on the \
         first poll (or in new())"
    );
    // A thread started by a later poll runs within this window even on a loaded machine.
    if wait_until(Duration::from_millis(300), || probe.starts() > 1) {
        // Restarted: let the other threads start too, to report how many there were.
        wait_until(Duration::from_millis(300), || probe.starts() >= POLLS);
    }
    let starts = probe.starts();
    probe.gate().open();
    assert!(
        starts == 1,
        "started the job {starts} times during {POLLS} polls: every poll spawned a new thread; \
         start it once, remember that it is running, and on later polls only update the waker"
    );
}

#[test]
fn a_job_that_ends_at_once_is_not_missed() {
    let mut job = polled_by_hand(BlockingJob::new(|| 11_u32));
    let (answer, _) = match job.poll() {
        Poll::Ready(answer) => (Some(answer), 0),
        Poll::Pending => job.follow_wakes(PATIENCE),
    };
    assert_eq!(
        answer,
        Some(11),
        "a job that returns at once never handed its result to the task: the helper thread \
         may end before poll returns, so keep the waker where the thread finds it before the \
         thread can need it (under the lock that guards the result)"
    );
}

/// Runs `make`'s future on a current-thread runtime on the real clock, on a watched thread.
fn on_a_runtime<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    real_clock()
        .limit(Duration::from_secs(5))
        .on_blocked(
            "offload(job).await blocked the runtime's thread while the job ran (the job ran \
             inside the async fn, or a block_on waited for it): no other task could run; \
             .await a BlockingJob, whose helper thread runs the job",
        )
        .on_never_woken(
            "offload(job).await never finished, though the job had returned: the helper thread \
             must wake the awaiting task once the result is stored",
        )
        .run(make)
}

#[test]
fn offload_resolves_to_the_jobs_result() {
    let (answer, polls) = on_a_runtime(|| async {
        let mut offloaded = Box::pin(offload(|| {
            thread::sleep(Duration::from_millis(30));
            (1..=1000_u64).sum::<u64>()
        }));
        // Count how often the executor has to poll to get the result.
        let mut polls = 0_usize;
        let answer = std::future::poll_fn(|cx| {
            polls += 1;
            offloaded.as_mut().poll(cx)
        })
        .await;
        (answer, polls)
    });
    assert_eq!(
        answer, 500_500,
        "offload(job).await returned something other than the job's result"
    );
    // One poll starts the job, one after the helper thread's wake-up takes the result.
    assert!(
        polls <= 4,
        "polled {polls} times while a 30 ms job ran: the future woke its own task on every \
         poll (a busy loop); let the helper thread wake it when the result is in"
    );
}

#[test]
fn offload_leaves_the_runtime_free_while_the_job_runs() {
    let answer = on_a_runtime(|| async {
        // The job can only end once another task on this runtime has run: if the runtime's
        // thread waits for the job, that task never gets its turn.
        let gate = Gate::new(GATE_GIVES_UP_AFTER);
        let opener = Arc::clone(&gate);
        let task = tokio::spawn(async move { opener.open() });
        let answer = offload(move || {
            gate.wait();
            String::from("parsed")
        })
        .await;
        task.await.expect("the grader's task panicked");
        answer
    });
    assert_eq!(
        answer, "parsed",
        "offload(job).await returned something other than the job's result"
    );
}
