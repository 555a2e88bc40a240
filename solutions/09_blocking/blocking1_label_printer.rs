//! A packing station prints a shipping label for every parcel it packs.
//!
//! The printer comes with a vendor driver, a plain synchronous function: `driver(label)` sends
//! the label, then *sleeps on its thread* until the printer has pushed the sheet out (a second
//! or more), and returns a receipt. `print_labels` runs inside the station's async service, next
//! to the tasks that read the scales and drive the conveyor belt, and those must keep running
//! while the printer works.
//!
//! The station runs on a current-thread runtime; the test rig runs it on a multi-thread one.
//! `print_labels` must behave on both.
//!
//! Done when: no driver call holds the runtime's thread (other tasks keep running while the
//! printer works), on either kind of runtime; labels go to the printer one at a time, in the
//! order given (it has a single tray); the receipts come back in that order; an empty batch
//! prints nothing.

use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub parcel: u32,
    pub address: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub parcel: u32,
    pub sheet: u32,
}

/// The vendor's driver: blocks its thread until the printer is done with the label.
pub type Driver = Arc<dyn Fn(Label) -> Receipt + Send + Sync>;

/// Prints every label, in order, and returns the printer's receipts.
pub async fn print_labels(driver: Driver, labels: Vec<Label>) -> Vec<Receipt> {
    let mut receipts = Vec::with_capacity(labels.len());
    for label in labels {
        // `spawn_blocking` runs the closure on tokio's blocking pool, threads kept for exactly
        // this: code that holds its thread. The closure must own what it uses (`'static`), so
        // it gets its own handle on the driver and the label moves in. Awaiting the handle
        // suspends this task; the runtime's thread goes on with the scales and the belt.
        let driver = Arc::clone(&driver);
        let printing = tokio::task::spawn_blocking(move || driver(label));
        // Awaiting before the next label keeps them one at a time, in order: the single tray.
        match printing.await {
            Ok(receipt) => receipts.push(receipt),
            // The driver panicked on the blocking thread: tokio caught it in the JoinError.
            // Raise it here again rather than printing the rest of the batch as if nothing
            // happened.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    receipts
}
