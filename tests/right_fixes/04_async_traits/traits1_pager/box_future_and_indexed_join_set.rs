//! Correct alternative: `futures::future::BoxFuture` and `.boxed()`, and a `JoinSet` whose
//! tasks carry their channel's index, so each receipt goes back to its place.
use std::pin::Pin;

use futures::FutureExt;
use futures::future::BoxFuture;
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, String>;
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
    fn notify<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, String> {
        async move {
            let message = format!("[alert {}] {}", alert.id, alert.text);
            (self.gateway)(self.address.clone(), message).await;
            format!("email {} #{}", self.address, alert.id)
        }
        .boxed()
    }
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, String> {
        async move {
            (self.gateway)(self.room.clone(), format!("ALERT: {}", alert.text)).await;
            format!("chat {} #{}", self.room, alert.id)
        }
        .boxed()
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
        let mut tasks = tokio::task::JoinSet::new();
        for (index, channel) in self.channels.iter().enumerate() {
            let (channel, alert) = (Arc::clone(channel), Arc::clone(&alert));
            tasks.spawn(async move { (index, channel.notify(&alert).await) });
        }
        let mut receipts = vec![String::new(); self.channels.len()];
        while let Some(done) = tasks.join_next().await {
            let (index, receipt) = done.expect("a channel's task panicked");
            receipts[index] = receipt;
        }
        receipts
    }
}
