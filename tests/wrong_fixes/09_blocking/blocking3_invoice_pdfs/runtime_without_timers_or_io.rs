//! Wrong fix: builds the runtime with the workers asked for, but without tokio's timer and I/O drivers.
// expect fail: without tokio's timer and I/O drivers
//! The billing service renders invoices as PDFs inside its async request handlers.
//!
//! `render_all(invoices, render)` turns each invoice into a PDF with `render`, the PDF
//! library's renderer: pure CPU work, a second or more per invoice. The invoices and the
//! renderer (it holds the fonts and templates, loaded once) are borrowed from the request
//! handler, so the work cannot be moved into a `'static` task. While an invoice renders, the
//! service's other tasks (health checks, other requests) must keep running.
//!
//! `build_runtime(workers)` builds the service's runtime, with as many worker threads as the
//! service's configuration asks for, and with tokio's timer and I/O drivers: the health checks
//! sleep on tokio timers, and requests arrive on tokio sockets.
//!
//! Done when: rendering never keeps the runtime's other tasks from running, even on a runtime
//! with a single worker; `build_runtime(n)` gives a runtime with `n` worker threads whose tasks
//! can use tokio's timers and I/O; the PDFs come back in the order of the invoices; no
//! invoices, no PDFs.

use tokio::runtime::{Builder, Runtime};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub number: u32,
    pub total_cents: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdf {
    pub invoice: u32,
    pub bytes: Vec<u8>,
}

/// Builds the service's runtime, with `workers` worker threads, timers and I/O.
pub fn build_runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("could not build the service's runtime")
}

/// Renders every invoice, in order, with the PDF library's `render` (a second or more each).
pub async fn render_all(
    invoices: &[Invoice],
    render: &(dyn Fn(&Invoice) -> Pdf + Sync),
) -> Vec<Pdf> {
    let mut pdfs = Vec::with_capacity(invoices.len());
    for invoice in invoices {
        pdfs.push(tokio::task::block_in_place(|| render(invoice)));
    }
    pdfs
}
