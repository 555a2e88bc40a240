use std::future::Future;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::welcome_banner;

const BLOCKED: &str = "welcome_banner blocked the runtime thread (block_on or a thread sleep \
     inside async code?), so tokio's timer could not fire meanwhile; .await the helpers' futures \
     instead";
const NEVER_WOKEN: &str = "welcome_banner never finished: it waits for something that never \
     comes; .await the two helpers' futures, nothing else";

/// Runs the future made by `make` on a current-thread tokio runtime whose clock is paused
/// (virtual time jumps ahead whenever every task waits on a timer), on a watched thread so a
/// blocked runtime fails with a verdict instead of hanging. Returns the output and the
/// virtual time it took.
fn run_on_paused_clock<M, F>(make: M) -> (F::Output, Duration)
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(BLOCKED)
        .on_never_woken(NEVER_WOKEN)
        .explain_panics(|message| {
            message.contains("runtime from within a runtime").then(|| {
                "welcome_banner started a second runtime inside async code (a block_on inside \
                 an async fn), and tokio panics on that: you are already in async code, so \
                 .await the helpers' futures instead"
                    .to_owned()
            })
        })
        .run_timed(make)
}

#[test]
fn greets_the_user_by_name_and_unread_count() {
    for (user, expected) in [
        (1, "Welcome back, Ada! You have 3 unread messages."),
        (2, "Welcome back, Grace! You have 0 unread messages."),
        // Any other user: the helpers answer for every id, and so must the banner.
        (7, "Welcome back, user #7! You have 1 unread messages."),
        (0, "Welcome back, user #0! You have 1 unread messages."),
    ] {
        let (banner, _) = run_on_paused_clock(move || welcome_banner(user));
        assert_eq!(
            banner, expected,
            "welcome_banner({user}) built the wrong banner: it should use the name and the \
             count the two helpers produce once awaited"
        );
    }
}

#[test]
fn waits_for_both_lookups_on_the_runtime_clock() {
    let (_, took) = run_on_paused_clock(|| welcome_banner(1));
    // Sequential awaits take 150 + 100 ms; running both lookups at once (join!) takes 150 ms.
    // Less means a lookup's wait never went through this runtime's timer.
    assert!(
        took >= Duration::from_millis(150),
        "welcome_banner took {} ms of the runtime's (virtual) time, but the profile lookup \
         alone waits 150 ms: the lookups did not run on this runtime (another runtime or \
         thread blocked on?); simply .await them",
        took.as_millis()
    );
    assert!(
        took <= Duration::from_millis(250),
        "welcome_banner took {} ms of virtual time, more than the 250 ms its two lookups \
         need: await each helper's future once, and add no waits of your own",
        took.as_millis()
    );
}
