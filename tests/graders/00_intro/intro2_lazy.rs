use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::Instant;

use crate::exercise::{AuditLog, Profiles};

const EVENT: &str = "ada changed email to ada@example.org";

/// Runs the future made by `make` on a current-thread tokio runtime with the clock paused
/// (virtual time jumps ahead whenever every task waits on a timer), on a watched thread so a
/// blocked runtime fails with a verdict instead of hanging.
fn run_on_paused_clock<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked(
            "change_email blocked the runtime thread (block_on or a thread sleep inside async \
             code?), so the audit write's timer could not fire meanwhile; .await the future",
        )
        .on_never_woken(
            "change_email never finished: it waits for something that never comes; .await the \
             audit write's future, nothing else",
        )
        .run(make)
}

#[test]
fn saves_the_new_address() {
    let email = run_on_paused_clock(|| async {
        let profiles = Profiles::new(Arc::new(AuditLog::default()));
        profiles.change_email("ada", "ada@example.org").await;
        profiles.email_of("ada")
    });
    assert_eq!(
        email.as_deref(),
        Some("ada@example.org"),
        "change_email did not save the new address: keep the part that stores it"
    );
}

#[test]
fn audit_event_is_written_before_change_email_returns() {
    let (when_it_returned, a_second_later) = run_on_paused_clock(|| async {
        let log = Arc::new(AuditLog::default());
        let profiles = Profiles::new(Arc::clone(&log));
        profiles.change_email("ada", "ada@example.org").await;
        let when_it_returned = log.events();
        // Give anything left running in the background (on this one thread) time to finish.
        tokio::time::sleep(Duration::from_secs(1)).await;
        (when_it_returned, log.events())
    });
    assert!(
        !(when_it_returned.is_empty() && a_second_later.is_empty()),
        "the audit log stayed empty: the future returned by record_event was dropped without \
         being awaited: futures are lazy, nothing ran; .await it inside change_email"
    );
    assert!(
        !when_it_returned.is_empty(),
        "the audit event was written only after change_email had returned (the user was already \
         told \"done\"): spawn runs it later in the background; await it here instead"
    );
    assert_eq!(
        when_it_returned,
        [EVENT],
        "the audit log should hold exactly one event for one change: await record_event once"
    );
}

#[test]
fn waits_for_the_storage_to_confirm_the_write() {
    let took = run_on_paused_clock(|| async {
        let profiles = Profiles::new(Arc::new(AuditLog::default()));
        let started = Instant::now();
        profiles.change_email("ada", "ada@example.org").await;
        started.elapsed()
    });
    assert!(
        took >= Duration::from_millis(20),
        "change_email returned after {} ms of (virtual) time, but the audit write takes 20 ms: \
         it did not wait for the write (a future dropped, or spawned to run later); .await \
         record_event's future",
        took.as_millis()
    );
}

#[test]
fn every_change_is_audited_in_order() {
    let (events, emails) = run_on_paused_clock(|| async {
        let log = Arc::new(AuditLog::default());
        let profiles = Profiles::new(Arc::clone(&log));
        profiles.change_email("ada", "ada@example.org").await;
        profiles.change_email("grace", "grace@example.net").await;
        profiles.change_email("ada", "").await;
        (
            log.events(),
            (profiles.email_of("ada"), profiles.email_of("grace")),
        )
    });
    assert_eq!(
        events,
        [
            EVENT,
            "grace changed email to grace@example.net",
            "ada changed email to ",
        ],
        "three changes (by two users, the last to an empty address) must leave three events in \
         the audit log, in order: await record_event for every change, whoever the user is"
    );
    assert_eq!(
        emails,
        (Some(String::new()), Some("grace@example.net".to_owned())),
        "change_email must save each user's latest address"
    );
}
