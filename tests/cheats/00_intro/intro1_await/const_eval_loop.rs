//! Cheat (or accident): a constant whose evaluation never ends, with the compiler's own
//! guard against that switched off, so rustc works forever.
// expect compile-error: the compiler was still working after 30 s
#![allow(long_running_const_eval)]

use std::time::Duration;

/// Fetches a user's display name from the profile service (about 150 ms).
pub async fn load_display_name(user_id: u32) -> String {
    tokio::time::sleep(Duration::from_millis(150)).await;
    match user_id {
        1 => "Ada".to_string(),
        2 => "Grace".to_string(),
        other => format!("user #{other}"),
    }
}

/// Asks the inbox service how many messages the user has not read yet (about 100 ms).
pub async fn count_unread(user_id: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    match user_id {
        1 => 3,
        2 => 0,
        _ => 1,
    }
}

const GREETING_LENGTH: u64 = {
    let mut n: u64 = 1;
    while n != 0 {
        n = n.wrapping_mul(3);
    }
    n
};

/// The line shown at the top of the screen when `user_id` opens the app.
pub async fn welcome_banner(user_id: u32) -> String {
    let name = load_display_name(user_id).await;
    let unread = count_unread(user_id).await + GREETING_LENGTH as u32;
    format!("Welcome back, {name}! You have {unread} unread messages.")
}
