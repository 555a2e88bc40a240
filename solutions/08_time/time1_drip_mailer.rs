//! An onboarding drip: a new user gets a short series of emails (welcome, tips, survey), with a
//! pause between two emails so the mail provider does not throttle the sender. The mailer is
//! one task among many on a tokio runtime: the web handlers and the other users' series share
//! its threads.
//!
//! `send_series` hands each email to `send` in order and pauses `gap` between two of them.

use std::time::Duration;

/// Sends `emails` in order through `send`, pausing `gap` between two consecutive emails.
pub async fn send_series(emails: &[&str], gap: Duration, mut send: impl FnMut(&str)) {
    for (position, email) in emails.iter().enumerate() {
        if position > 0 {
            // `tokio::time::sleep` registers a timer and returns `Pending`: the task is parked
            // and the thread runs other tasks until the timer wakes it. It is lazy like every
            // future, so the pause only happens because of the `.await`.
            tokio::time::sleep(gap).await;
        }
        send(email);
    }
}
