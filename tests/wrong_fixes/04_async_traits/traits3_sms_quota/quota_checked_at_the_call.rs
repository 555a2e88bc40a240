//! Wrong fix: tells the caller at once when the quota is used up, by looking at it at the
//! call, and charges it at the first poll. Sends made while the quota still had room all pass
//! the look, and all are charged later: the quota is exceeded.
// expect fail: a quota of 2 let 3 messages out
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
        let refused = {
            let ledger = self.ledger.lock().unwrap();
            ledger.sent >= ledger.quota
        };
        let gateway = Arc::clone(&self.gateway);
        let (to, text) = (to.to_owned(), text.to_owned());
        async move {
            if refused {
                return Err(OverQuota);
            }
            let number = charge(&ledger);
            gateway(number, to, text).await;
            Ok(number)
        }
    }
}

/// Takes the next number and charges the quota.
fn charge(ledger: &Mutex<Ledger>) -> u32 {
    let mut ledger = ledger.lock().unwrap();
    ledger.sent += 1;
    ledger.sent
}
