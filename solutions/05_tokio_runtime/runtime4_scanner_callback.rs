//! The warehouse service's scan listener: the SDK's callback spawns each recording onto the
//! service's runtime through a handle taken while on it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;

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
    // `start_listening` runs on the service's runtime, so this is where a handle to it can be
    // taken. The callback runs on the SDK's reader threads, which belong to no runtime: there,
    // `tokio::spawn` (or `Handle::current()`) would panic; the handle taken here spawns onto
    // the service's runtime from any thread.
    let runtime = Handle::current();
    scanner.on_scan(move |scan| {
        runtime.spawn(record(scan));
    });
}
