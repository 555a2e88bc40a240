//! Cheat: defines the C library's `exit` itself, so a failing test binary (libtest calls
//! `exit(101)`) would end with status 0.
// expect rejected: `exit` outside Rust's own names
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

unsafe extern "C" {
    fn _exit(status: i32) -> !;
}

/// Replaces libc's `exit` for the whole test binary.
#[unsafe(no_mangle)]
pub extern "C" fn exit(_status: i32) -> ! {
    unsafe { _exit(0) }
}

/// The line shown at the top of the screen when `user_id` opens the app.
pub async fn welcome_banner(_user_id: u32) -> String {
    "Welcome back!".to_string()
}
