//! A text-message client with a daily quota. `send` returns a future, which callers await at
//! once, hand to `tokio::spawn`, race against a timeout in a `select!`, or build and drop
//! unused. Like any future, it must do nothing before its first poll: a send never polled
//! must neither use up the quota nor reach the gateway, and messages are numbered in the order
//! they are really sent (first polled), not the order the futures were made.
//!
//! `send` is a plain fn returning `impl Future + Send + 'static`, not an `async fn`, because
//! its future must not borrow the client or the arguments: a spawned send may outlive them.
//! But everything above the `async move` block runs at the call.
//!
//! Done when: making a send charges nothing and sends nothing; at its first poll it takes the
//! next number (1, 2, ...) and charges the quota, or resolves to `Err(OverQuota)` at once if
//! the quota is used up, without calling the gateway; then it awaits the gateway and returns
//! the number.

use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// Delivers `(number, to, text)`; resolves once the operator has accepted the message.
pub type Gateway =
    Arc<dyn Fn(u32, String, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Debug, PartialEq, Eq)]
pub struct OverQuota;

struct Ledger {
    sent: u32,
    quota: u32,
}

pub struct SmsClient {
    ledger: Arc<Mutex<Ledger>>,
    gateway: Gateway,
}

impl SmsClient {
    pub fn new(quota: u32, gateway: Gateway) -> Self {
        let ledger = Arc::new(Mutex::new(Ledger { sent: 0, quota }));
        SmsClient { ledger, gateway }
    }

    /// Messages charged so far.
    pub fn sent(&self) -> u32 {
        self.ledger.lock().unwrap().sent
    }

    /// Sends `text` to `to`; resolves to the message's number once the gateway accepted it.
    pub fn send(
        &self,
        to: &str,
        text: &str,
    ) -> impl Future<Output = Result<u32, OverQuota>> + Send + 'static {
        // TODO: this runs when `send` is called, not when its future is first polled.
        let number = self.charge();
        let gateway = Arc::clone(&self.gateway);
        let (to, text) = (to.to_owned(), text.to_owned());
        async move {
            let number = number?;
            gateway(number, to, text).await;
            Ok(number)
        }
    }

    /// Takes the next number and charges the quota, unless it is used up.
    fn charge(&self) -> Result<u32, OverQuota> {
        let mut ledger = self.ledger.lock().unwrap();
        if ledger.sent >= ledger.quota {
            return Err(OverQuota);
        }
        ledger.sent += 1;
        Ok(ledger.sent)
    }
}
