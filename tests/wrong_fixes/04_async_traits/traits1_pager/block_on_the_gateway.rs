//! Wrong fix: `notify` is a plain fn that waits for the gateway with `block_on` and returns a
//! future that is already ready. The wait happens on the runtime's thread, at the call, and
//! the gateway's send needs that very thread to finish.
// expect fail: blocked the runtime's thread
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
        futures::executor::block_on((self.gateway)(self.address.clone(), message));
        Box::pin(std::future::ready(format!(
            "email {} #{}",
            self.address, alert.id
        )))
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> Pin<Box<dyn Future<Output = String> + Send + 'a>> {
        futures::executor::block_on((self.gateway)(
            self.room.clone(),
            format!("ALERT: {}", alert.text),
        ));
        Box::pin(std::future::ready(format!(
            "chat {} #{}",
            self.room, alert.id
        )))
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
