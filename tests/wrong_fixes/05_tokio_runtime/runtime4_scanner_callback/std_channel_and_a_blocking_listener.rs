//! Wrong fix: the callback sends scans into a std channel; a task on the runtime receives them with a blocking recv().
// expect fail: blocked its thread
use std::future::Future;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scan {
    pub scanner: u32,
    pub barcode: String,
}

type Callback = Arc<dyn Fn(Scan) + Send + Sync>;

/// The scanner SDK (not yours to change).
#[derive(Default)]
pub struct Scanner {
    callback: Mutex<Option<Callback>>,
}

impl Scanner {
    /// Registers the callback that the SDK's reader threads call for every scan.
    pub fn on_scan(&self, callback: impl Fn(Scan) + Send + Sync + 'static) {
        *self.callback.lock().unwrap() = Some(Arc::new(callback));
    }

    /// Called by the SDK on a reader thread of its own, for each scan.
    pub fn deliver(&self, scan: Scan) {
        let callback = self.callback.lock().unwrap().clone();
        if let Some(callback) = callback {
            callback(scan);
        }
    }
}

/// Called at startup, on the service's runtime: records every scan with `record`.
pub fn start_listening<R, F>(scanner: &Scanner, record: R)
where
    R: Fn(Scan) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let (scans, inbox) = std::sync::mpsc::channel::<Scan>();
    scanner.on_scan(move |scan| {
        let _ = scans.send(scan);
    });
    tokio::spawn(async move {
        while let Ok(scan) = inbox.recv() {
            record(scan).await;
        }
    });
}
