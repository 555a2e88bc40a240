//! Wrong fix: paces the series with a tokio interval of `gap` (its first tick is immediate,
//! so a non-zero gap is right), but an interval panics on a zero period, and a zero gap is
//! allowed: it means no pause at all.
// expect fail: with a zero gap, send_series panicked
//! An onboarding drip: a new user gets a short series of emails (welcome, tips, survey), with a
//! pause between two emails so the mail provider does not throttle the sender. The mailer is
//! one task among many on a tokio runtime: the web handlers and the other users' series share
//! its threads.
//!
//! `send_series` hands each email to `send` in order and pauses `gap` between two of them. The
//! pause is written with `std::thread::sleep`, which stops the whole thread: for that second,
//! every other task on it waits too, and tokio's clock knows nothing about it.
//!
//! Done when: no poll blocks the thread; on tokio's clock the emails go out exactly `gap`
//! apart, the first one at once and nothing waited for after the last one; a zero `gap` sends
//! them all at once, and an empty series sends nothing and returns at once.

use std::time::Duration;

/// Sends `emails` in order through `send`, pausing `gap` between two consecutive emails.
pub async fn send_series(emails: &[&str], gap: Duration, mut send: impl FnMut(&str)) {
    let mut ticks = tokio::time::interval(gap);
    for email in emails {
        ticks.tick().await;
        send(email);
    }
}
