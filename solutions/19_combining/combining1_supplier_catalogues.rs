//! A price-comparison service downloads every supplier's catalogue over the network, then
//! analyses each one with `analyse` (the statistics library: parsing and price figures, CPU
//! work that takes a while per catalogue). Servers go down now and then: that is news for one
//! report, not a crash of the whole comparison.
//!
//! `compare_suppliers` requests every catalogue at once and returns one `Report` per supplier,
//! in the order given: a failed fetch becomes that supplier's `Err`, the analysis runs in
//! parallel on rayon's pool, and the runtime's thread only awaits its result.

use std::net::SocketAddr;
use std::sync::Arc;

use rayon::prelude::*;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

pub struct Supplier {
    pub name: String,
    pub addr: SocketAddr,
}

/// What the statistics library makes of one catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub items: usize,
    pub cheapest_cents: u64,
}

/// The statistics library's analysis: CPU work, a while per catalogue.
pub type Analyser = Arc<dyn Fn(&str) -> Summary + Send + Sync>;

#[derive(Debug)]
pub struct Report {
    pub supplier: String,
    /// The catalogue's summary, or why it could not be fetched.
    pub summary: Result<Summary, String>,
}

/// Downloads one catalogue: the server sends a status line (`200 OK`, or why it cannot serve
/// the catalogue), then the catalogue, and closes the connection.
pub async fn fetch_catalogue(addr: SocketAddr) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut answer = String::new();
    let read = stream.read_to_string(&mut answer).await;
    read.map_err(|e| format!("cannot read the answer: {e}"))?;
    let (status, catalogue) = answer.split_once('\n').unwrap_or((&answer, ""));
    if status.starts_with("200") {
        return Ok(catalogue.to_owned());
    }
    Err(format!("the server answered `{status}`"))
}

pub async fn compare_suppliers(suppliers: Vec<Supplier>, analyse: Analyser) -> Vec<Report> {
    // One task per supplier, all started before any is awaited, so the requests overlap. Each
    // task *returns* its `Result`: a supplier that is down is an expected outcome, not a bug,
    // so it must not panic the task.
    let fetches: Vec<_> = suppliers
        .iter()
        .map(|supplier| tokio::spawn(fetch_catalogue(supplier.addr)))
        .collect();
    let mut catalogues = Vec::with_capacity(fetches.len());
    for fetch in fetches {
        // A `JoinError` only happens if the task panicked or was cancelled: a bug, but still
        // only this supplier's bug, so it becomes this supplier's error too.
        let catalogue = fetch
            .await
            .unwrap_or_else(|failed| Err(format!("the fetch task failed: {failed}")));
        catalogues.push(catalogue);
    }

    // `par_iter` blocks the thread that calls it until rayon is done. Called here, that would
    // be a runtime thread, and every other task of the runtime would wait. So the whole
    // analysis goes to rayon's pool with `rayon::spawn`, and the result comes back over a
    // oneshot channel, which this task awaits without holding its thread.
    let (done, analysed) = oneshot::channel();
    rayon::spawn(move || {
        let summaries: Vec<Result<Summary, String>> = catalogues
            .into_par_iter()
            .map(|catalogue| catalogue.map(|text| analyse(&text)))
            .collect();
        // The receiver is gone only if `compare_suppliers` was cancelled: nobody to tell.
        let _ = done.send(summaries);
    });
    // A panic inside a job of `rayon::spawn` aborts the process (unless the pool was given a
    // panic handler), so the job always answers.
    let summaries = analysed.await.expect("the analysis job always answers");

    suppliers
        .into_iter()
        .zip(summaries)
        .map(|(supplier, summary)| Report {
            supplier: supplier.name,
            summary,
        })
        .collect()
}
