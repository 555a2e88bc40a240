use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as WallClock};

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::{Backoff, deliver};

/// How long one delivery attempt (an HTTP POST) takes, on tokio's clock.
const POST: Duration = Duration::from_millis(20);

/// Real time beyond tokio time that betrays waits on a sleeping thread (a paused clock moves
/// only with tokio's timers; the code that waits properly spends microseconds of real time).
const OUTSIDE_TIMER: Duration = Duration::from_secs(1);

/// One delivery, as the partner's endpoint saw it (tokio's clock, since `deliver` was called).
struct Delivery {
    /// When each attempt started.
    attempts: Vec<Duration>,
    /// The same, in real time.
    real_attempts: Vec<Duration>,
    result: Result<String, u32>,
    returned_at: Duration,
}

impl Delivery {
    /// The waits between the end of each failed attempt and the start of the next.
    fn waits(&self) -> Vec<Duration> {
        self.attempts
            .windows(2)
            .map(|pair| pair[1].saturating_sub(pair[0] + POST))
            .collect()
    }
}

/// Runs `deliver(policy, ..)` on a paused clock against an endpoint that fails attempts
/// 1..=`failures` (the error is the attempt's number) and accepts the next one.
fn deliver_to(policy: Backoff, failures: u32) -> Delivery {
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(
            "a back-off wait held the runtime's thread (and every other delivery on it); back \
             off on tokio's timer, awaited",
        )
        .would_hang_after(
            Duration::from_secs(24 * 3600),
            "every wait ends after at most max_wait, and deliver gives up after `attempts`",
        )
        .explain_panics(|message| {
            message.contains("overflow").then(|| {
                format!(
                    "deliver panicked during a long outage ({message}): the doubled wait outgrew \
                     its number type; stop making it longer once it has reached max_wait"
                )
            })
        })
        .run(move || async move {
            let origin = Instant::now();
            let real_origin = WallClock::now();
            let attempts = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&attempts);
            let result = deliver(policy, move || {
                let log = Arc::clone(&log);
                async move {
                    let (on_tokio_clock, real) = (origin.elapsed(), real_origin.elapsed());
                    // Far more real time than tokio time: the waits ran on a sleeping thread.
                    // Stop here rather than sit through the whole schedule in real time.
                    if real > on_tokio_clock + OUTSIDE_TIMER {
                        panic!(
                            "backed off outside tokio's timer: by the start of attempt {}, {} ms \
                             of real time had passed but only {} ms of tokio time; a thread was \
                             put to sleep for each wait, and it served nothing else meanwhile; \
                             back off on tokio's timer, awaited",
                            log.lock().unwrap().len() + 1,
                            real.as_millis(),
                            on_tokio_clock.as_millis()
                        );
                    }
                    let number = {
                        let mut log = log.lock().unwrap();
                        log.push((origin.elapsed(), real_origin.elapsed()));
                        log.len() as u32
                    };
                    sleep(POST).await;
                    if number <= failures {
                        Err(number)
                    } else {
                        Ok(format!("receipt-{number}"))
                    }
                }
            })
            .await;
            let returned_at = origin.elapsed();
            let (attempts, real_attempts) = attempts.lock().unwrap().iter().copied().unzip();
            Delivery {
                attempts,
                real_attempts,
                result,
                returned_at,
            }
        })
}

/// "100, 200, 400" (at most 6 figures, then how many in all).
fn ms_list(times: &[Duration]) -> String {
    const SHOWN: usize = 6;
    let shown: Vec<String> = times
        .iter()
        .take(SHOWN)
        .map(|t| t.as_millis().to_string())
        .collect();
    if times.len() > SHOWN {
        format!("{}, … ({} in all)", shown.join(", "), times.len())
    } else {
        shown.join(", ")
    }
}

/// The waits `policy` calls for after `failed` failures that each lead to another attempt.
fn expected_waits(policy: Backoff, failed: usize) -> Vec<Duration> {
    let mut wait = policy.first_wait.min(policy.max_wait);
    (0..failed)
        .map(|_| {
            let this = wait;
            wait = wait.saturating_mul(2).min(policy.max_wait);
            this
        })
        .collect()
}

/// Checks the number of attempts and the waits between them; names the usual mistakes.
fn check_backoff(policy: Backoff, attempts: usize, delivery: &Delivery) {
    assert!(
        delivery.attempts.len() == attempts,
        "deliver made {} attempt(s), where {attempts} were expected (attempts = {}, and the \
         endpoint {})",
        delivery.attempts.len(),
        policy.attempts,
        if attempts as u32 == policy.attempts {
            "failed every time"
        } else {
            "accepted an attempt"
        }
    );
    let waits = delivery.waits();
    let expected = expected_waits(policy, attempts - 1);
    if waits == expected {
        return;
    }
    let n = waits.len();
    if expected.iter().any(|w| !w.is_zero()) && waits.iter().all(|w| w.is_zero()) {
        // Between the end of an attempt and the start of the next, on the real clock.
        let real_waited: Duration = delivery
            .real_attempts
            .windows(2)
            .map(|pair| pair[1].saturating_sub(pair[0]))
            .sum();
        let expected_total: Duration = expected.iter().sum();
        if real_waited >= expected_total {
            panic!(
                "backed off outside tokio's timer: tokio's clock saw no wait between a failure \
                 and the next attempt, though {} ms of real time passed across the {} waits; a \
                 thread was put to sleep, and it served nothing else meanwhile; back off on \
                 tokio's timer, awaited",
                real_waited.as_millis(),
                n
            );
        }
        panic!(
            "retried at once: each of the {} attempts started the moment the one before had \
             failed ({} ms of tokio time for all of them), so an endpoint that is down gets \
             hammered; wait (without blocking) before each retry, longer after every failure",
            n + 1,
            delivery.returned_at.as_millis()
        );
    }
    if n >= 2 && waits.iter().all(|&w| w == waits[0]) && expected[1] != expected[0] {
        panic!(
            "the wait never grew: {} ms after each failure ({} waits), where {} ms were \
             expected; double the wait after every failure, up to max_wait",
            waits[0].as_millis(),
            n,
            ms_list(&expected)
        );
    }
    let only_the_first_too_long = !waits.is_empty()
        && waits[0] == policy.first_wait
        && policy.first_wait > policy.max_wait
        && waits[1..].iter().all(|&w| w <= policy.max_wait);
    if only_the_first_too_long {
        panic!(
            "the first wait was first_wait itself, {} ms, more than max_wait ({} ms): waits of \
             {} ms, where {} ms were expected; max_wait caps every wait, the first one too",
            waits[0].as_millis(),
            policy.max_wait.as_millis(),
            ms_list(&waits),
            ms_list(&expected)
        );
    }
    if let Some(too_long) = waits.iter().find(|&&w| w > policy.max_wait) {
        panic!(
            "waited {} ms after a failure, more than max_wait ({} ms): waits of {} ms, where {} \
             ms were expected; stop growing the wait at max_wait",
            too_long.as_millis(),
            policy.max_wait.as_millis(),
            ms_list(&waits),
            ms_list(&expected)
        );
    }
    panic!(
        "waited {} ms between the failures and the next attempts, where {} ms were expected \
         (first_wait {} ms, doubling, at most max_wait {} ms)",
        ms_list(&waits),
        ms_list(&expected),
        policy.first_wait.as_millis(),
        policy.max_wait.as_millis()
    );
}

/// Checks that `deliver` gave up with the last attempt's error as soon as it failed.
fn check_gave_up(policy: Backoff, delivery: &Delivery) {
    let last = policy.attempts;
    assert!(
        delivery.result == Err(last),
        "after {last} failed attempts, deliver returned {:?}: return the error of the last \
         attempt (Err({last}))",
        delivery.result
    );
    let failed_at = *delivery.attempts.last().expect("checked") + POST;
    assert!(
        delivery.returned_at == failed_at,
        "gave up {} ms after the last attempt failed (at {} ms): nothing is left to wait for \
         once the last attempt has failed; return its error at once",
        delivery.returned_at.saturating_sub(failed_at).as_millis(),
        failed_at.as_millis()
    );
}

const POLICY: Backoff = Backoff {
    first_wait: Duration::from_millis(100),
    max_wait: Duration::from_millis(500),
    attempts: 6,
};

#[test]
fn waits_double_after_each_failure_up_to_max_wait() {
    let delivery = deliver_to(POLICY, u32::MAX);
    check_backoff(POLICY, 6, &delivery);
}

#[test]
fn gives_up_with_the_last_error_right_after_the_last_attempt() {
    let delivery = deliver_to(POLICY, u32::MAX);
    check_backoff(POLICY, 6, &delivery);
    check_gave_up(POLICY, &delivery);

    let once = Backoff {
        attempts: 1,
        ..POLICY
    };
    let delivery = deliver_to(once, u32::MAX);
    check_backoff(once, 1, &delivery);
    check_gave_up(once, &delivery);
}

#[test]
fn stops_at_the_first_success() {
    let delivery = deliver_to(POLICY, 2);
    check_backoff(POLICY, 3, &delivery);
    let accepted_at = delivery.attempts[2] + POST;
    assert!(
        delivery.result == Ok("receipt-3".to_owned()) && delivery.returned_at == accepted_at,
        "the third attempt was accepted at {} ms, but deliver returned {:?} at {} ms: return \
         the first success as soon as it arrives",
        accepted_at.as_millis(),
        delivery.result,
        delivery.returned_at.as_millis()
    );
}

#[test]
fn a_long_outage_keeps_waiting_max_wait() {
    let outage = Backoff {
        first_wait: Duration::from_millis(100),
        max_wait: Duration::from_secs(1),
        attempts: 40,
    };
    let delivery = deliver_to(outage, u32::MAX);
    check_backoff(outage, 40, &delivery);
    check_gave_up(outage, &delivery);
}

#[test]
fn zero_waits_retry_at_once_and_max_wait_caps_the_first_wait() {
    let eager = Backoff {
        first_wait: Duration::ZERO,
        max_wait: Duration::ZERO,
        attempts: 4,
    };
    let delivery = deliver_to(eager, 3);
    check_backoff(eager, 4, &delivery);
    assert!(
        delivery.result == Ok("receipt-4".to_owned()),
        "with zero waits, the fourth attempt was accepted, but deliver returned {:?}",
        delivery.result
    );

    let capped = Backoff {
        first_wait: Duration::from_millis(300),
        max_wait: Duration::from_millis(200),
        attempts: 3,
    };
    let delivery = deliver_to(capped, u32::MAX);
    check_backoff(capped, 3, &delivery);
}

#[test]
fn no_wait_blocks_the_thread() {
    let slow = Backoff {
        first_wait: Duration::from_secs(1),
        max_wait: Duration::from_secs(1),
        attempts: 2,
    };
    let stopwatch = paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(
            "the 1 s back-off held the runtime's thread; back off on tokio's timer, so the \
             thread serves other tasks while the delivery waits",
        )
        .run(move || async move {
            let (watched, stopwatch) = watch_polls(deliver(slow, || async { Err::<(), u32>(0) }));
            let _ = watched.await;
            stopwatch
        });
    if let Err(verdict) = stopwatch.stats().check_no_blocking(
        BLOCKING_POLL,
        "back off on tokio's timer, so the thread serves other tasks while the delivery waits",
    ) {
        panic!("the 1 s back-off held the runtime's thread: {verdict}");
    }
}
