//! Wrong fix: spawns the whole send as a task at the call, and returns a future that awaits
//! the task. The task runs whether or not anyone polls that future: a send made and dropped
//! still goes out, and numbers follow the order the sends were made.
// expect fail: in a task of their own
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
        let task = tokio::spawn(async move {
            let number = charge(&ledger)?;
            gateway(number, to, text).await;
            Ok(number)
        });
        async move { task.await.expect("the send's task panicked") }
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
