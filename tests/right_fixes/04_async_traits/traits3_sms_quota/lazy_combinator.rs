//! Correct alternative: future combinators instead of an `async` block: `future::lazy` charges
//! at the first poll, and `then` sends once the charge went through.
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{self, Either};

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
        future::lazy(move |_| charge(&ledger)).then(move |charged| match charged {
            Ok(number) => Either::Left(gateway(number, to, text).map(move |()| Ok(number))),
            Err(over) => Either::Right(future::ready(Err(over))),
        })
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
