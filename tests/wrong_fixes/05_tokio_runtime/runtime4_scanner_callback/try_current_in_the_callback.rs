//! Wrong fix: Handle::try_current() inside the callback avoids the panic, and drops the scan when there is no runtime (from the stranger's report).
// expect fail: some scans were never recorded
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
    pub fn on_scan(&self, callback: impl Fn(Scan) + Send + Sync + 'static) {
        *self.callback.lock().unwrap() = Some(Arc::new(callback));
    }

    pub fn deliver(&self, scan: Scan) {
        let callback = self.callback.lock().unwrap().clone();
        if let Some(callback) = callback {
            callback(scan);
        }
    }
}

pub fn start_listening<R, F>(scanner: &Scanner, record: R)
where
    R: Fn(Scan) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    scanner.on_scan(move |scan| {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(record(scan));
        }
    });
}
