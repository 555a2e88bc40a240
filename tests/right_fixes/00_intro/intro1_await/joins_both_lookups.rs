//! Correct alternative: both lookups at once with tokio::join!
//! The welcome banner of a chat app.
//!
//! When someone opens the app, `welcome_banner` greets them by name and says how many
//! messages are waiting. Both facts come from slow services, so the helpers that fetch them
//! are `async fn`s (their network latency is simulated with `tokio::time::sleep`).
//!
//! Calling an `async fn` does not run its body: it hands back a *future*, a value that will
//! produce the result once something drives it. Inside another `async fn`, you drive it with
//! `.await`. Right now `welcome_banner` treats those futures as if they were already the name
//! and the count, so this file does not compile: read the compiler's message first.
//!
//! Done when: it compiles and `welcome_banner(1).await` returns
//! "Welcome back, Ada! You have 3 unread messages." once both lookups have finished.
//! Leave the two helpers as they are.

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

/// The line shown at the top of the screen when `user_id` opens the app.
pub async fn welcome_banner(user_id: u32) -> String {
    let (name, unread) = tokio::join!(load_display_name(user_id), count_unread(user_id));
    format!("Welcome back, {name}! You have {unread} unread messages.")
}
