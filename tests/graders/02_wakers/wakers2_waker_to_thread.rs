use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{BlockingJob, offload};

/// Jobs wait at most this long for the grader to open their gate.
const GATE_GIVES_UP_AFTER: Duration = Duration::from_millis(1500);

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

    fn finishes(&self) -> usize {
        self.jobs.finishes()
    }
}

/// Polls once, and fails if the poll sat waiting for the (gated) job to finish.
fn poll_job(job: &mut Pin<Box<BlockingJob<u32>>>, waker: &CountingWaker) -> Poll<u32> {
    let poll = poll_timed(job.as_mut(), waker.waker());
    let took_ms = poll.took.as_millis();
    assert!(
        poll.took < GATE_GIVES_UP_AFTER / 2,
        "a poll blocked its thread for {took_ms} ms, waiting for the job (joined the thread or \
         waited for its result inside poll?): return Pending at once and let the helper thread \
         wake the task"
    );
    poll.result
}

#[test]
fn first_poll_returns_while_the_job_still_runs() {
    const JOB_TIME: Duration = Duration::from_millis(300);
    let probe = Probe::new();
    let mut job = Box::pin(probe.job(1));
    let gate = Arc::clone(probe.gate());
    let opener = thread::spawn(move || {
        thread::sleep(JOB_TIME);
        gate.open();
    });

    let task = CountingWaker::new();
    let first = poll_timed(job.as_mut(), task.waker());
    let took_ms = first.took.as_millis();
    assert!(
        first.took < JOB_TIME,
        "the first poll blocked its thread for {took_ms} ms, until the job was done (joined the \
         thread or waited for its result inside poll?): return Pending at once and let the \
         helper thread wake the task"
    );
    assert!(
        first.result.is_pending(),
        "the first poll returned Ready while the job was still running: return Pending until \
         the helper thread has stored the result"
    );
    opener.join().unwrap();
}

#[test]
fn helper_thread_wakes_the_task_with_the_result() {
    let probe = Probe::new();
    let mut job = Box::pin(probe.job(42));
    let task = CountingWaker::new();

    assert!(
        poll_job(&mut job, &task).is_pending(),
        "the first poll returned Ready before the job could finish: return Pending until the \
         helper thread has stored the result"
    );
    assert!(
        wait_until(Duration::from_secs(2), || probe.starts() > 0),
        "the job never started after the first poll: spawn the helper thread that runs it on \
         the first poll (or in new())"
    );
    assert!(
        !task.is_woken(),
        "woke its own task while the job was still running: the executor polls it again at \
         once, a busy loop; give the helper thread a clone of the waker and let it wake the task"
    );
    probe.gate().open();
    assert!(
        wait_until(Duration::from_secs(2), || probe.finishes() > 0),
        "the job did not finish within 2 s of being allowed to"
    );
    assert!(
        wait_until(Duration::from_secs(1), || task.is_woken()),
        "the job finished on the helper thread but the task was never woken: clone the waker \
         out of cx before spawning, move the clone into the thread, and wake() it once the \
         result is stored"
    );
    assert_eq!(
        poll_job(&mut job, &task),
        Poll::Ready(42),
        "woken by the helper thread, but the next poll did not return the job's result: store \
         the result where poll finds it before waking the task"
    );
}

#[test]
fn starts_the_job_once_however_often_it_is_polled() {
    const POLLS: usize = 20;
    let probe = Probe::new();
    let mut job = Box::pin(probe.job(7));
    let task = CountingWaker::new();

    for poll in 1..=POLLS {
        assert!(
            poll_job(&mut job, &task).is_pending(),
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
    assert!(
        starts == 1,
        "started the job {starts} times during {POLLS} polls: every poll spawned a new thread; \
         start it once, remember that it is running, and on later polls only update the waker"
    );
    probe.gate().open();
}

#[test]
fn offload_resolves_to_the_jobs_result() {
    let (answer, polls) = real_clock()
        .limit(Duration::from_millis(1500))
        .on_block(
            "offload(job).await never finished, though the job returns after 30 ms: the helper \
            thread must wake the awaiting task once the result is stored",
        )
        .run(|| async {
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
