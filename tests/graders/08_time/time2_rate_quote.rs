use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep, sleep_until};

use crate::exercise::{QuoteError, quote_within, sandbox_quote};

/// How far the would-hang oracle looks ahead (tokio time, free in real time).
const HORIZON: Duration = Duration::from_secs(600);

/// A fresh paused-clock runtime whose verdicts speak of quotes and deadlines.
fn checkout() -> Run {
    paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(
            "the carrier call held the runtime's thread while it waited (a thread sleep or a \
             block_on inside async code?); wait on tokio's timer, awaited, instead",
        )
        .on_never_woken(
            "the quote never came back and nothing was left to wake it; wait on tokio's \
             timer, awaited, and give up at the deadline",
        )
        .would_hang_after(
            HORIZON,
            "a carrier that never answers must still be given up on at the deadline",
        )
        .explain_panics(|message| {
            message.contains("Elapsed").then(|| {
                format!(
                    "quote_within panicked when the deadline passed ({message}): a slow carrier \
                     is an everyday outcome at checkout, not a bug; turn tokio's \"time is \
                     up\" into QuoteError::TimedOut and return it"
                )
            })
        })
}

/// What became of one instrumented carrier call, on tokio's clock since the check started.
#[derive(Clone, Copy, Debug, Default)]
struct CallLog {
    polled: bool,
    answered_at: Option<Duration>,
    dropped_at: Option<Duration>,
}

/// Notes when the call it lives in is dropped.
struct DropNote {
    log: Arc<Mutex<CallLog>>,
    origin: Instant,
}

impl Drop for DropNote {
    fn drop(&mut self) {
        self.log.lock().unwrap().dropped_at = Some(self.origin.elapsed());
    }
}

/// A carrier call that answers `cents` at `answer_at` after `origin` (tokio's clock), or
/// never; its log says whether it was polled, answered, dropped, and when.
fn carrier(
    origin: Instant,
    answer_at: Option<Duration>,
    cents: u32,
) -> (
    impl Future<Output = u32> + Send + 'static,
    Arc<Mutex<CallLog>>,
) {
    let log = Arc::new(Mutex::new(CallLog::default()));
    let note = DropNote {
        log: Arc::clone(&log),
        origin,
    };
    let call = async move {
        note.log.lock().unwrap().polled = true;
        match answer_at {
            Some(at) => sleep_until(origin + at).await,
            None => std::future::pending().await,
        }
        note.log.lock().unwrap().answered_at = Some(origin.elapsed());
        cents
    };
    (call, log)
}

/// `quote_within(deadline, carrier answering at answer_at)`: what it returned, when (tokio's
/// clock), and what became of the call by then.
fn quote(
    deadline: Duration,
    answer_at: Option<Duration>,
) -> (Result<u32, QuoteError>, Duration, CallLog) {
    checkout().run(move || async move {
        let origin = Instant::now();
        let (call, log) = carrier(origin, answer_at, 930);
        let result = quote_within(deadline, call).await;
        let returned_at = origin.elapsed();
        let log = *log.lock().unwrap();
        (result, returned_at, log)
    })
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

#[test]
fn sandbox_quote_answers_after_its_latency_without_blocking() {
    const LATENCY: Duration = Duration::from_secs(1);
    let ((cents, stopwatch), took) = checkout().run_timed(|| async {
        let (watched, stopwatch) = watch_polls(sandbox_quote(LATENCY, 3));
        (watched.await, stopwatch)
    });
    if let Err(verdict) = stopwatch.stats().check_no_blocking(
        BLOCKING_POLL,
        "the sandbox's latency should be a wait on tokio's timer",
    ) {
        panic!("the sandbox carrier held the runtime's thread while it \"waited\": {verdict}");
    }
    assert_eq!(
        cents, 810,
        "sandbox_quote(.., 3) should quote 450 + 3 × 120 = 810 cents"
    );
    assert!(
        took == LATENCY,
        "the sandbox carrier answered after {} ms of tokio time, but it simulates a latency of \
         {} ms: let it wait exactly `latency` on tokio's timer before answering",
        ms(took),
        ms(LATENCY)
    );
}

#[test]
fn a_fast_answer_comes_back_as_soon_as_it_arrives() {
    const DEADLINE: Duration = Duration::from_millis(1000);
    const ANSWER_AT: Duration = Duration::from_millis(300);
    let (result, returned_at, _) = quote(DEADLINE, Some(ANSWER_AT));
    assert_eq!(
        result,
        Ok(930),
        "the carrier answered 930 cents after 300 ms, well within the 1000 ms deadline: \
         quote_within should return that answer"
    );
    assert!(
        returned_at == ANSWER_AT,
        "the carrier answered at {} ms, but quote_within returned only at {} ms: it waited for \
         the deadline instead of racing the call against it; return the answer as soon as it \
         arrives",
        ms(ANSWER_AT),
        ms(returned_at)
    );
}

/// Checks that a call answering at `answer_at` (or never) timed out exactly at `deadline`.
fn check_times_out(deadline: Duration, answer_at: Option<Duration>) {
    let (result, returned_at, _) = quote(deadline, answer_at);
    let answered = match answer_at {
        Some(at) => format!("answers after {} ms", ms(at)),
        None => "never answers".to_owned(),
    };
    match result {
        Ok(_) => panic!(
            "with a {} ms deadline and a carrier that {answered}, quote_within returned the \
             answer after {} ms: no deadline was applied, the customer waited as long as the \
             carrier took; give up when the deadline passes",
            ms(deadline),
            ms(returned_at)
        ),
        Err(QuoteError::TimedOut { deadline: said }) => {
            assert!(
                returned_at <= deadline,
                "reported the timeout at {} ms, {} ms past the {} ms deadline: it waited for the \
                 carrier to answer and only then looked at the clock; the deadline must cut the \
                 wait short",
                ms(returned_at),
                ms(returned_at - deadline),
                ms(deadline)
            );
            assert!(
                returned_at == deadline,
                "gave up after {} ms, before the {} ms deadline had passed",
                ms(returned_at),
                ms(deadline)
            );
            assert_eq!(
                said,
                deadline,
                "QuoteError::TimedOut should carry the deadline that passed ({} ms)",
                ms(deadline)
            );
        }
    }
}

#[test]
fn a_slow_call_times_out_at_the_deadline() {
    check_times_out(Duration::from_millis(1000), Some(Duration::from_secs(5)));
    check_times_out(Duration::from_millis(700), None);
}

#[test]
fn a_timed_out_call_is_cancelled() {
    const DEADLINE: Duration = Duration::from_millis(1000);
    const ANSWER_AT: Duration = Duration::from_secs(5);
    let (result, returned_at, log) = checkout().run(|| async {
        let origin = Instant::now();
        let (call, log) = carrier(origin, Some(ANSWER_AT), 930);
        let result = quote_within(DEADLINE, call).await;
        let returned_at = origin.elapsed();
        let at_return = *log.lock().unwrap();
        // Give a call that was left running the time to answer.
        sleep(ANSWER_AT * 2).await;
        let later = *log.lock().unwrap();
        (result, returned_at, (at_return, later))
    });
    let (at_return, later) = log;
    assert!(
        result.is_err(),
        "with a {} ms deadline and a carrier that answers after {} ms, quote_within returned \
         {result:?} after {} ms: give up when the deadline passes",
        ms(DEADLINE),
        ms(ANSWER_AT),
        ms(returned_at)
    );
    assert!(
        at_return.polled,
        "quote_within never even started the carrier call (never polled it)"
    );
    if at_return.dropped_at.is_none() {
        let went_on = match later.answered_at {
            Some(at) => format!(
                "it answered at {} ms, {} ms after quote_within had given up, with nobody \
                 waiting for the answer",
                ms(at),
                ms(at.saturating_sub(returned_at))
            ),
            None => "it was still alive long after".to_owned(),
        };
        panic!(
            "the call that timed out kept running after quote_within returned at {} ms: {went_on} \
             (a spawned task goes on when its JoinHandle is dropped or given up on); a call that \
             timed out should be cancelled, by dropping it when the deadline passes",
            ms(returned_at)
        );
    }
}

/// How many times to repeat a race whose two sides are ready at the same poll: a winner
/// picked at random shows up as a mixed count (all the same by chance: 1 in 2^63).
const RUNS: usize = 64;

/// How often quote_within reported a timeout in `RUNS` runs, and in how many of those the
/// call, still alive, had not been polled even once by then (it was handed elsewhere).
struct Tally {
    timed_out: usize,
    handed_off: usize,
}

/// Runs `quote_within(deadline, call)` `RUNS` times, each with a fresh call from `make_call`
/// (given the run's origin), and counts the timeouts.
fn count_timeouts<F, M>(deadline: Duration, make_call: M) -> Tally
where
    M: Fn(Instant) -> (F, Arc<Mutex<CallLog>>) + Send + 'static,
    F: Future<Output = u32> + Send + 'static,
{
    checkout().run(move || async move {
        let mut tally = Tally {
            timed_out: 0,
            handed_off: 0,
        };
        for _ in 0..RUNS {
            let (call, log) = make_call(Instant::now());
            if quote_within(deadline, call).await.is_err() {
                tally.timed_out += 1;
                let log = log.lock().unwrap();
                if !log.polled && log.dropped_at.is_none() {
                    tally.handed_off += 1;
                }
            }
        }
        tally
    })
}

/// Fails, when an answer that was there at the poll where the deadline passed was reported as
/// a timeout; `what` describes the situation.
fn check_answer_counted(what: &str, tally: Tally) {
    let Tally {
        timed_out,
        handed_off,
    } = tally;
    if timed_out == 0 {
        return;
    }
    if handed_off == timed_out {
        panic!(
            "{what} was reported as a timeout ({timed_out} of {RUNS} runs) before quote_within \
             had polled the call even once: the call ran somewhere else (another task, which \
             had not had its turn yet) while quote_within only watched the clock; poll the \
             call itself, and before the clock"
        );
    }
    if timed_out == RUNS {
        panic!(
            "{what} was reported as a timeout ({RUNS} of {RUNS} runs): with the answer and the \
             deadline both there at one poll, it looked at the clock first and threw the answer \
             away; look at the call first, so an answer that made it in time counts"
        );
    }
    panic!(
        "{what} was reported as a timeout in {timed_out} of {RUNS} runs and returned in the \
         others: with the answer and the deadline both there at one poll, the winner was picked \
         at random; look at the call first, every time"
    );
}

/// A call whose answer is ready at its first poll (a cached rate).
fn cached(
    origin: Instant,
) -> (
    impl Future<Output = u32> + Send + 'static,
    Arc<Mutex<CallLog>>,
) {
    let log = Arc::new(Mutex::new(CallLog::default()));
    let note = DropNote {
        log: Arc::clone(&log),
        origin,
    };
    let call = async move {
        note.log.lock().unwrap().polled = true;
        610
    };
    (call, log)
}

#[test]
fn an_answer_exactly_at_the_deadline_counts() {
    const DEADLINE: Duration = Duration::from_millis(800);
    check_answer_counted(
        "a carrier that answered exactly at the 800 ms deadline",
        count_timeouts(DEADLINE, |origin| carrier(origin, Some(DEADLINE), 930)),
    );
}

#[test]
fn a_zero_deadline_takes_only_an_answer_ready_at_once() {
    check_answer_counted(
        "with a zero deadline, a quote that was ready at once (a cached rate)",
        count_timeouts(Duration::ZERO, cached),
    );
    check_times_out(Duration::ZERO, Some(Duration::from_millis(10)));
}
