//! Wrong fix: keeps the `unwrap()` inside each fetch task and turns the task's `JoinError` into
//! the supplier's `Err`, so the reports look right, but a supplier that is down still panics.
// expect fail: a failed supplier still panicked its fetch task
//! A price-comparison service downloads every supplier's catalogue over the network, then
//! analyses each one with `analyse` (the statistics library: parsing and price figures, CPU
//! work that takes a while per catalogue). Servers go down now and then: that is news for one
//! report, not a crash of the whole comparison.
//!
//! Done when: `compare_suppliers` requests every catalogue at once and returns one `Report` per
//! supplier, in the order given; a supplier whose fetch fails gets an `Err` saying why, every
//! other supplier still gets its summary, and no task panics; the catalogues are analysed in
//! parallel on rayon's threads while the runtime's other tasks keep running (on a
//! current-thread runtime too); the future stays `Send`; no suppliers, no reports.

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
    let fetches: Vec<_> = suppliers
        .iter()
        .map(|supplier| {
            let addr = supplier.addr;
            tokio::spawn(async move { fetch_catalogue(addr).await.unwrap() })
        })
        .collect();
    let mut catalogues = Vec::new();
    for fetch in fetches {
        // The panic is caught by tokio, so the supplier gets an error anyway.
        catalogues.push(fetch.await.map_err(|e| e.to_string()));
    }
    let (done, analysed) = oneshot::channel();
    rayon::spawn(move || {
        let summaries: Vec<Result<Summary, String>> = catalogues
            .into_par_iter()
            .map(|catalogue| catalogue.map(|text| analyse(&text)))
            .collect();
        let _ = done.send(summaries);
    });
    let summaries = analysed.await.unwrap();
    let reports = suppliers.into_iter().zip(summaries);
    let report = |(supplier, summary): (Supplier, _)| Report {
        supplier: supplier.name,
        summary,
    };
    reports.map(report).collect()
}
