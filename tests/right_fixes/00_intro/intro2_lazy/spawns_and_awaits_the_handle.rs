//! Correct alternative: the write runs as a spawned task whose JoinHandle is awaited
//! Changing a user's email address, with an audit trail.
//!
//! Compliance rule: every email change must be in the audit log *by the time*
//! `Profiles::change_email` returns, because the caller answers "done" to the user right
//! after. Writing to the audit log is an `async fn` (the log lives on slow storage).
//!
//! Right now the new address is saved, but the audit log stays empty. The compiler even
//! warns about it. A future does nothing until it is awaited (or polled by someone): calling
//! `record_event` only builds the future, and dropping it throws the work away unstarted.
//!
//! Done when: after `profiles.change_email("ada", "ada@example.org").await`, the audit log
//! already holds the event `ada changed email to ada@example.org`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An append-only list of events, shared by several services (hence the `Arc`s).
#[derive(Default)]
pub struct AuditLog {
    events: Mutex<Vec<String>>,
}

impl AuditLog {
    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
}

/// Appends `event` to the log. The storage takes about 20 ms to confirm a write.
pub async fn record_event(log: Arc<AuditLog>, event: String) {
    tokio::time::sleep(Duration::from_millis(20)).await;
    log.events.lock().unwrap().push(event);
}

/// Users' email addresses.
pub struct Profiles {
    emails: Mutex<HashMap<String, String>>,
    audit: Arc<AuditLog>,
}

impl Profiles {
    pub fn new(audit: Arc<AuditLog>) -> Self {
        Profiles {
            emails: Mutex::new(HashMap::new()),
            audit,
        }
    }

    pub fn email_of(&self, user: &str) -> Option<String> {
        self.emails.lock().unwrap().get(user).cloned()
    }

    /// Saves `user`'s new address and records the change in the audit log.
    pub async fn change_email(&self, user: &str, new_email: &str) {
        self.emails
            .lock()
            .unwrap()
            .insert(user.to_string(), new_email.to_string());
        let event = format!("{user} changed email to {new_email}");
        let write = tokio::spawn(record_event(Arc::clone(&self.audit), event));
        write.await.expect("the audit write panicked");
    }
}
