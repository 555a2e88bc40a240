//! Wrong fix: calls the gateway, then boxes a future that only makes the receipt. The send's
//! future is dropped unpolled, so no message ever reaches the provider.
// expect fail: had not been accepted by the provider
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
        let message = format!("[alert {}] {}", alert.id, alert.text);
        let _send = (self.gateway)(self.address.clone(), message);
        Box::pin(async move { format!("email {} #{}", self.address, alert.id) })
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + Send + 'a>> {
        let _send = (self.gateway)(self.room.clone(), format!("ALERT: {}", alert.text));
        Box::pin(async move { format!("chat {} #{}", self.room, alert.id) })
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
