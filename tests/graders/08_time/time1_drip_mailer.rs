use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as WallClock};

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;
use tokio::time::Instant;

use crate::exercise::send_series;

/// The way out, in every verdict about the pause.
const FIX: &str = "pause on tokio's timer instead, and await it, so that the thread serves \
                   other tasks while the series waits";

/// One email as it went out: its text, and when (tokio's clock and the real one) since the
/// series started.
#[derive(Clone, Debug)]
struct Sent {
    email: String,
    on_tokio_clock: Duration,
    real: Duration,
}

/// Runs `send_series(emails, gap, ..)` on a paused clock and records every email it sends;
/// also returns how long (tokio's clock) the call took.
fn record_series(emails: &'static [&'static str], gap: Duration) -> (Vec<Sent>, Duration) {
    paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(
            "a pause blocked the runtime's thread (a block_on, or a wait for a timer that only \
             this blocked thread could fire); pause on tokio's timer and await it",
        )
        .on_busy(
            "a pause spun instead of waiting (a loop that yields or checks the clock), so \
             tokio's clock could not move on; pause on tokio's timer and await it",
        )
        .would_hang_after(
            Duration::from_secs(600),
            "each pause should end after `gap` on tokio's clock",
        )
        .explain_panics(move |message| {
            (gap.is_zero() && message.contains("must be non-zero")).then(|| {
                format!(
                    "with a zero gap, send_series panicked (tokio: \"{message}\"): a ticker \
                     such as tokio's interval cannot have a zero period, but a zero gap is \
                     allowed and means no pause at all; when the gap is zero, make no ticker, \
                     or pause with a wait that accepts zero"
                )
            })
        })
        .run_timed(move || async move {
            let sent = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&sent);
            let (tokio_start, real_start) = (Instant::now(), WallClock::now());
            send_series(emails, gap, move |email| {
                log.lock().unwrap().push(Sent {
                    email: email.to_owned(),
                    on_tokio_clock: tokio_start.elapsed(),
                    real: real_start.elapsed(),
                });
            })
            .await;
            sent.lock().unwrap().clone()
        })
}

fn millis(times: impl Iterator<Item = Duration>) -> String {
    times
        .map(|t| t.as_millis().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that `emails` went out in order, the first at once and each `gap` after the one
/// before, on tokio's clock; otherwise panics with what happened instead.
fn check_schedule(emails: &[&str], gap: Duration, sent: &[Sent]) {
    let texts: Vec<&str> = sent.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(
        texts, emails,
        "send_series should hand every email to `send` once, in order"
    );
    let expected: Vec<Duration> = (0..emails.len() as u32).map(|i| gap * i).collect();
    let actual: Vec<Duration> = sent.iter().map(|s| s.on_tokio_clock).collect();
    if actual == expected {
        return;
    }
    let last = sent.last().expect("the series has emails");
    let stood_still = actual.iter().all(|&t| t == actual[0]) && gap > Duration::ZERO;
    if stood_still && last.real >= gap * (emails.len() as u32 - 1) {
        panic!(
            "the {} emails went out 0 ms apart on tokio's clock, though {} of real time passed \
             between the first and the last: each pause ran outside tokio's timer, on a thread \
             put to sleep (std::thread::sleep, here or in spawn_blocking), so tokio cannot time \
             it and that thread can do nothing else meanwhile; {FIX}",
            emails.len(),
            seconds(last.real)
        );
    }
    if stood_still {
        panic!(
            "all {} emails went out at {} ms of tokio time, within {} of real time: no pause \
             happened at all (a timer future that is created but never awaited does nothing); \
             {FIX}",
            emails.len(),
            actual[0].as_millis(),
            seconds(last.real)
        );
    }
    if actual[0] > Duration::ZERO {
        panic!(
            "the first email went out at {} ms, not at once: the pause belongs between two \
             emails, not before the first (sent at {} ms, expected {} ms)",
            actual[0].as_millis(),
            millis(actual.iter().copied()),
            millis(expected.iter().copied())
        );
    }
    panic!(
        "the emails went out at {} ms of tokio time, where {} ms were expected ({} ms apart): \
         pause exactly `gap` between two emails",
        millis(actual.iter().copied()),
        millis(expected.iter().copied()),
        gap.as_millis()
    );
}

#[test]
fn no_pause_blocks_the_thread() {
    const GAP: Duration = Duration::from_secs(1);
    let stopwatch = paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(
            "a pause blocked the runtime's thread (a block_on inside async code?); pause on \
             tokio's timer and await it",
        )
        .on_busy(
            "a pause spun instead of waiting (a loop that yields or checks the clock); pause on \
             tokio's timer and await it",
        )
        .run(|| async {
            let (watched, stopwatch) = watch_polls(send_series(&["welcome", "tips"], GAP, |_| {}));
            watched.await;
            stopwatch
        });
    if let Err(verdict) = stopwatch.stats().check_no_blocking(BLOCKING_POLL, FIX) {
        panic!(
            "the 1 s pause between two emails held the runtime's thread, so no other task (web \
             handlers, the other users' series) could run meanwhile: {verdict}"
        );
    }
}

#[test]
fn emails_go_out_exactly_gap_apart() {
    const EMAILS: &[&str] = &["welcome", "three tips", "how are we doing?"];
    const GAP: Duration = Duration::from_millis(500);
    let (sent, _) = record_series(EMAILS, GAP);
    check_schedule(EMAILS, GAP, &sent);
}

#[test]
fn returns_right_after_the_last_email() {
    const EMAILS: &[&str] = &["welcome", "three tips", "how are we doing?", "your invoice"];
    const GAP: Duration = Duration::from_millis(250);
    let (sent, took) = record_series(EMAILS, GAP);
    check_schedule(EMAILS, GAP, &sent);
    let last = sent.last().expect("checked above").on_tokio_clock;
    assert!(
        took == last,
        "send_series returned {} ms after the last email went out (at {} ms): nothing follows \
         the last email, so there is nothing to wait for after it",
        took.saturating_sub(last).as_millis(),
        last.as_millis()
    );
}

#[test]
fn a_zero_gap_sends_at_once_and_an_empty_series_sends_nothing() {
    const EMAILS: &[&str] = &["welcome", "three tips", "how are we doing?"];
    let (sent, took) = record_series(EMAILS, Duration::ZERO);
    check_schedule(EMAILS, Duration::ZERO, &sent);
    assert!(
        took == Duration::ZERO,
        "with a zero gap, send_series took {} ms of tokio time: every email should go out at \
         once",
        took.as_millis()
    );

    let (sent, took) = record_series(&[], Duration::from_secs(1));
    assert!(
        sent.is_empty() && took == Duration::ZERO,
        "an empty series sent {} email(s) and took {} ms of tokio time: it should send nothing \
         and return at once",
        sent.len(),
        took.as_millis()
    );
}
