//! An on-call pager notifies every channel the team set up (an email address, a chat room...)
//! when an alert fires. Channels are configured at run time, so the pager keeps them as trait
//! objects, `Arc<dyn Notifier>`, and `page` notifies each in a task of its own (`tokio::spawn`):
//! a slow mail provider must not hold up the chat, and on a multi-thread runtime the channels
//! are notified in parallel. But a trait with an `async fn` is not dyn-compatible (each
//! implementation returns a future of its own unnamed type), so `dyn Notifier` does not compile.
//!
//! Done when: `Pager` still holds `Arc<dyn Notifier>`; `page` returns one receipt per channel,
//! in the order the channels were added; each channel calls its gateway once per alert and
//! awaits it; all channels are notified at the same time, each in a task of its own.

use std::pin::Pin;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Alert {
    pub id: u32,
    pub text: String,
}

/// Sends `(address, message)` to a provider; resolves once the provider has accepted it.
pub type Gateway =
    Arc<dyn Fn(String, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub trait Notifier: Send + Sync {
    /// Delivers `alert`, then returns a receipt naming the channel ("email ops@x.org #7").
    // TODO: a trait object cannot have an `async fn`: return a future whose type is known.
    async fn notify(&self, alert: &Alert) -> String;
}

pub struct Email {
    pub address: String,
    pub gateway: Gateway,
}

pub struct Chat {
    pub room: String,
    pub gateway: Gateway,
}

impl Notifier for Email {
    async fn notify(&self, alert: &Alert) -> String {
        let message = format!("[alert {}] {}", alert.id, alert.text);
        (self.gateway)(self.address.clone(), message).await;
        format!("email {} #{}", self.address, alert.id)
    }
}

impl Notifier for Chat {
    async fn notify(&self, alert: &Alert) -> String {
        (self.gateway)(self.room.clone(), format!("ALERT: {}", alert.text)).await;
        format!("chat {} #{}", self.room, alert.id)
    }
}

#[derive(Default)]
pub struct Pager {
    channels: Vec<Arc<dyn Notifier>>,
}

impl Pager {
    pub fn add(&mut self, channel: Arc<dyn Notifier>) {
        self.channels.push(channel);
    }

    pub async fn page(&self, alert: Alert) -> Vec<String> {
        let alert = Arc::new(alert);
        let mut tasks = Vec::new();
        for channel in &self.channels {
            let (channel, alert) = (Arc::clone(channel), Arc::clone(&alert));
            tasks.push(tokio::spawn(async move { channel.notify(&alert).await }));
        }
        let mut receipts = Vec::new();
        for task in tasks {
            receipts.push(task.await.expect("a channel's task panicked"));
        }
        receipts
    }
}
