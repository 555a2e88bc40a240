//! Cheat: blocks the runtime (a wrong fix), and starts a thread that ends the process with
//! status 0 a little later, while the check still waits for the blocked call.
// expect fail: the program exited (status 0) before the check finished
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
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        std::process::exit(0);
    });
    let name: String = futures::executor::block_on(load_display_name(user_id));
    let unread: u32 = futures::executor::block_on(count_unread(user_id));
    format!("Welcome back, {name}! You have {unread} unread messages.")
}
