//! Wrong fix: `notify` hands the gateway's send to a task of its own and returns a receipt at
//! once, without waiting for the provider: a receipt for a message nobody accepted yet.
// expect fail: left running on their own
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

/// The future `notify` returns: one type for every implementation (a pointer to a future on
/// the heap), `Send` so that the pager can spawn it, and allowed to borrow the channel and the
/// alert for `'a`. This is what `#[async_trait]` writes for you.
pub type Notifying<'a> = Pin<Box<dyn Future<Output = String> + Send + 'a>>;

pub trait Notifier: Send + Sync {
    /// Delivers `alert`, then returns a receipt naming the channel ("email ops@x.org #7").
    fn notify<'a>(&'a self, alert: &'a Alert) -> Notifying<'a>;
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> Notifying<'a> {
        let message = format!("[alert {}] {}", alert.id, alert.text);
        tokio::spawn((self.gateway)(self.address.clone(), message));
        Box::pin(std::future::ready(format!(
            "email {} #{}",
            self.address, alert.id
        )))
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> Notifying<'a> {
        tokio::spawn((self.gateway)(
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
