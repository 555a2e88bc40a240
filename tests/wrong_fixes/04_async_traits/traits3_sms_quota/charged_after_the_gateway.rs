//! Wrong fix (found by a stranger): looks at the quota and takes the number at the first
//! poll, but charges only once the gateway has accepted the message: every send polled
//! meanwhile passes the look and takes the same number.
// expect fail: charged only once the gateway has accepted

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
        let gateway = Arc::clone(&self.gateway);
        let (to, text) = (to.to_owned(), text.to_owned());
        async move {
            let number = {
                let ledger = ledger.lock().unwrap();
                if ledger.sent >= ledger.quota {
                    return Err(OverQuota);
                }
                ledger.sent + 1
            };
            gateway(number, to, text).await;
            // charge only once the operator accepted the message
            ledger.lock().unwrap().sent += 1;
            Ok(number)
        }
    }
}
