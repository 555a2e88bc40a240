//! Wrong fix: `#[async_trait(?Send)]`, so the futures are not `Send`, and `page` runs the
//! channels' tasks in a `LocalSet` with `spawn_local`. It compiles and runs them concurrently,
//! but all on one thread: never in parallel, and a channel that keeps the thread busy holds up
//! the others.
// expect fail: not notified in parallel
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

#[derive(Clone, Debug)]
pub struct Alert {
    pub id: u32,
    pub text: String,
}

/// Sends `(address, message)` to a provider; resolves once the provider has accepted it.
pub type Gateway =
    Arc<dyn Fn(String, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[async_trait(?Send)]
pub trait Notifier: Send + Sync {
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

#[async_trait(?Send)]
impl Notifier for Email {
    async fn notify(&self, alert: &Alert) -> String {
        let message = format!("[alert {}] {}", alert.id, alert.text);
        (self.gateway)(self.address.clone(), message).await;
        format!("email {} #{}", self.address, alert.id)
    }
}

#[async_trait(?Send)]
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
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let mut tasks = Vec::new();
                for channel in &self.channels {
                    let (channel, alert) = (Arc::clone(channel), Arc::clone(&alert));
                    tasks.push(tokio::task::spawn_local(async move {
                        channel.notify(&alert).await
                    }));
                }
                let mut receipts = Vec::new();
                for task in tasks {
                    receipts.push(task.await.expect("a channel's task panicked"));
                }
                receipts
            })
            .await
    }
}
