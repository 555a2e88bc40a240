//! Correct alternative: a hand-written `Future`, a state machine that charges in its first
//! poll and then polls the gateway's future (found by a stranger).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

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
        Sending::Start {
            ledger: Arc::clone(&self.ledger),
            gateway: Arc::clone(&self.gateway),
            to: to.to_owned(),
            text: text.to_owned(),
        }
    }
}

enum Sending {
    Start {
        ledger: Arc<Mutex<Ledger>>,
        gateway: Gateway,
        to: String,
        text: String,
    },
    Waiting {
        number: u32,
        accepted: Pin<Box<dyn Future<Output = ()> + Send>>,
    },
    Done,
}

impl Future for Sending {
    type Output = Result<u32, OverQuota>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match std::mem::replace(&mut *self, Sending::Done) {
                Sending::Start {
                    ledger,
                    gateway,
                    to,
                    text,
                } => {
                    let number = {
                        let mut ledger = ledger.lock().unwrap();
                        if ledger.sent >= ledger.quota {
                            return Poll::Ready(Err(OverQuota));
                        }
                        ledger.sent += 1;
                        ledger.sent
                    };
                    *self = Sending::Waiting {
                        number,
                        accepted: gateway(number, to, text),
                    };
                }
                Sending::Waiting {
                    number,
                    mut accepted,
                } => {
                    return match accepted.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(number)),
                        Poll::Pending => {
                            *self = Sending::Waiting { number, accepted };
                            Poll::Pending
                        }
                    };
                }
                Sending::Done => panic!("Sending polled after completion"),
            }
        }
    }
}
