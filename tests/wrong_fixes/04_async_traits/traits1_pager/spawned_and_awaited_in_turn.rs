//! Wrong fix (found by a stranger): spawns each channel's notification as a task, but awaits
//! its handle in the same loop, before spawning the next: one channel at a time.
// expect fail: ran one after another

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
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + Send + 'a>>;
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + Send + 'a>> {
        Box::pin(async move {
            let message = format!("[alert {}] {}", alert.id, alert.text);
            (self.gateway)(self.address.clone(), message).await;
            format!("email {} #{}", self.address, alert.id)
        })
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + Send + 'a>> {
        Box::pin(async move {
            (self.gateway)(self.room.clone(), format!("ALERT: {}", alert.text)).await;
            format!("chat {} #{}", self.room, alert.id)
        })
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
        let mut receipts = Vec::new();
        for channel in &self.channels {
            let (channel, alert) = (Arc::clone(channel), Arc::clone(&alert));
            let receipt = tokio::spawn(async move { channel.notify(&alert).await })
                .await
                .expect("a channel's task panicked");
            receipts.push(receipt);
        }
        receipts
    }
}
