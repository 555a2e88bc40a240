//! Wrong fix: awaits tokio's sleep with `futures::executor::block_on` from inside async code:
//! the runtime's thread blocks, and the timer that should end the wait can never fire.
// expect fail: a pause blocked the runtime's thread
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
    for (position, email) in emails.iter().enumerate() {
        if position > 0 {
            futures::executor::block_on(tokio::time::sleep(gap));
        }
        send(email);
    }
}
