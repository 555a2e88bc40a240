//! Wrong fix: charges the quota at the first poll, but reads the message's number at the call
//! (the count so far, plus one). Sends made before any was polled all read the same count.
// expect fail: numbered in the order they are sent
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
        let ledger = Arc::clone(&self.ledger);
        let number = self.sent() + 1;
        let gateway = Arc::clone(&self.gateway);
        let (to, text) = (to.to_owned(), text.to_owned());
        async move {
            charge(&ledger)?;
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
