//! Wrong fix: collects the fetches from a `JoinSet` with `join_next`, which yields them in the
//! order they finish, then pairs them with the suppliers in the order given.
// expect fail: paired the fetches' results with the suppliers in the order the fetches finished
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
    // Fetch every catalogue at once in a JoinSet, collecting as they finish.
    let mut set = tokio::task::JoinSet::new();
    for supplier in &suppliers {
        let addr = supplier.addr;
        set.spawn(async move { fetch_catalogue(addr).await });
    }
    let mut fetched: Vec<Result<String, String>> = Vec::with_capacity(suppliers.len());
    while let Some(joined) = set.join_next().await {
        fetched.push(joined.unwrap_or_else(|e| Err(format!("the fetch task failed: {e}"))));
    }
    let (done, answer) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let summaries: Vec<Result<Summary, String>> = fetched
            .par_iter()
            .map(|f| f.as_ref().map(|text| analyse(text)).map_err(Clone::clone))
            .collect();
        let _ = done.send(summaries);
    });
    let summaries = answer.await.expect("the rayon job always answers");
    suppliers
        .into_iter()
        .zip(summaries)
        .map(|(supplier, summary)| Report {
            supplier: supplier.name,
            summary,
        })
        .collect()
}
