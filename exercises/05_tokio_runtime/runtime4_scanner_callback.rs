//! The warehouse service records every barcode its hand scanners read. The scanners' SDK is
//! synchronous: you give `Scanner::on_scan` a callback, and the SDK calls it for each scan on a
//! reader thread of its own (a plain `std::thread`, one per scanner). Recording is async:
//! `record` writes to the inventory database over tokio's sockets and timers, which belong to
//! the service's runtime.
//!
//! The service calls `start_listening` at startup, from async code on its runtime. The callback
//! it registers spawns each recording with `tokio::spawn`, which looks for the runtime of the
//! thread it runs on; the SDK's reader thread has none, and tokio panics: "there is no reactor
//! running, must be called from the context of a Tokio 1.x runtime".
//!
//! Done when: every scan the SDK delivers, from any of its reader threads, is recorded exactly
//! once by `record`, with the service's runtime as its runtime (the one whose timers and
//! sockets it uses, and onto which it spawns; not a runtime of the callback's own), whether
//! that runtime is current-thread or multi-thread; the callback never panics. The SDK does not
//! mind its reader thread waiting in the callback. No scans, nothing recorded.

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
    scanner.on_scan(move |scan| {
        // TODO: this runs on the SDK's reader thread, where there is no runtime to spawn on.
        tokio::spawn(record(scan));
    });
}
