//! A text-message client with a daily quota, whose sends are lazy: `send` only gathers what
//! its future needs, and the future charges the quota and sends at its first poll.

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
        // Only cheap, side-effect-free gathering at the call: owned copies and `Arc` clones, so
        // that the future borrows nothing (`'static`) and can be spawned.
        let ledger = Arc::clone(&self.ledger);
        let gateway = Arc::clone(&self.gateway);
        let (to, text) = (to.to_owned(), text.to_owned());
        // Everything with an effect happens inside, at the first poll.
        async move {
            let number = charge(&ledger)?;
            gateway(number, to, text).await;
            Ok(number)
        }
    }
}

/// Takes the next number and charges the quota, unless it is used up. The check and the
/// charge happen under one lock, so two sends cannot both take the last message.
fn charge(ledger: &Mutex<Ledger>) -> Result<u32, OverQuota> {
    let mut ledger = ledger.lock().unwrap();
    if ledger.sent >= ledger.quota {
        return Err(OverQuota);
    }
    ledger.sent += 1;
    Ok(ledger.sent)
}
