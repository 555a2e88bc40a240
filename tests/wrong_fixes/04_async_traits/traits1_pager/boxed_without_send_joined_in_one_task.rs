//! Wrong fix: boxes the futures without `Send`; `tokio::spawn` then refuses them, so `page`
//! joins every notification in its own task. Concurrent, but never in parallel: a channel that
//! keeps its thread busy holds up all the others.
// expect fail: not notified in parallel
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + 'a>>;
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + 'a>> {
        Box::pin(async move {
            let message = format!("[alert {}] {}", alert.id, alert.text);
            (self.gateway)(self.address.clone(), message).await;
            format!("email {} #{}", self.address, alert.id)
        })
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + 'a>> {
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
        let notifications = self.channels.iter().map(|channel| channel.notify(&alert));
        futures::future::join_all(notifications).await
    }
}
