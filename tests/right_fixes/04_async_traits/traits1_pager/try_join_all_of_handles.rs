//! Correct alternative: `#[async_trait]`, and `page` spawns through an iterator and awaits
//! every handle with `try_join_all`, which keeps their order (found by a stranger).

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

#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers `alert`, then returns a receipt naming the channel ("email ops@x.org #7").
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

#[async_trait::async_trait]
impl Notifier for Email {
    async fn notify(&self, alert: &Alert) -> String {
        let message = format!("[alert {}] {}", alert.id, alert.text);
        (self.gateway)(self.address.clone(), message).await;
        format!("email {} #{}", self.address, alert.id)
    }
}

#[async_trait::async_trait]
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
        let handles = self.channels.iter().cloned().map(|channel| {
            let alert = Arc::clone(&alert);
            tokio::spawn(async move { channel.notify(&alert).await })
        });
        futures::future::try_join_all(handles)
            .await
            .expect("a channel's task panicked")
    }
}
