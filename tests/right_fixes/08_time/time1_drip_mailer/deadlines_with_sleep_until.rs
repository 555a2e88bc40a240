//! Correct alternative: a schedule of deadlines from the start, each awaited with `sleep_until`
//! An onboarding drip: a new user gets a short series of emails (welcome, tips, survey), with a
//! pause between two emails so the mail provider does not throttle the sender.

use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// Sends `emails` in order through `send`, pausing `gap` between two consecutive emails.
pub async fn send_series(emails: &[&str], gap: Duration, mut send: impl FnMut(&str)) {
    let start = Instant::now();
    let mut due = start;
    for email in emails {
        // The first deadline is the start itself: `sleep_until` a past or present instant
        // completes without waiting.
        sleep_until(due).await;
        send(email);
        due += gap;
    }
}
