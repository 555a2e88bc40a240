//! Correct alternative: one rayon::spawn per quote, each sending its point with its index over a tokio channel; each point is put back at its quote's place.
//! A price feed server streams live quotes to its subscribers and, each time a batch of quotes
//! arrives, redraws the day's price chart. Drawing is CPU work: `plot` smooths a quote against
//! the day's history and scales it to the screen, a few milliseconds per quote. So the server
//! plots a batch in parallel, with rayon, on rayon's global pool.
//!
//! The whole server runs on tokio: the task that calls `redraw_chart` shares the runtime with
//! the tasks that answer subscribers' pings and stream the quotes. Those must keep running while
//! a chart is being drawn.
//!
//! Done when: `redraw_chart` returns one point per quote, in the quotes' order; the quotes are
//! plotted in parallel on rayon's global pool (the server's pool for all its CPU work, not a
//! pool of the function's own); and while they are being plotted, every other task of the
//! runtime keeps running, on a current-thread runtime as on a multi-thread one.

use std::sync::Arc;

use tokio::sync::mpsc;

/// One trade: its sequence number on the feed and its price in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub seq: u64,
    pub cents: i64,
}

/// One point of the chart, in screen coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

/// Plots every quote of the batch, in parallel on rayon's global pool, and returns the points
/// in the quotes' order.
pub async fn redraw_chart<F>(quotes: Vec<Quote>, plot: F) -> Vec<Point>
where
    F: Fn(&Quote) -> Point + Send + Sync + 'static,
{
    // A job per quote on rayon's global pool: the pool's threads take them in parallel. The
    // jobs finish in any order, so each point travels with its quote's index.
    let count = quotes.len();
    let plot = Arc::new(plot);
    let (send_point, mut points) = mpsc::unbounded_channel();
    for (at, quote) in quotes.into_iter().enumerate() {
        let (plot, send_point) = (Arc::clone(&plot), send_point.clone());
        rayon::spawn(move || {
            let _ = send_point.send((at, plot(&quote)));
        });
    }
    drop(send_point);
    let mut chart: Vec<Option<Point>> = vec![None; count];
    while let Some((at, point)) = points.recv().await {
        chart[at] = Some(point);
    }
    chart
        .into_iter()
        .map(|point| point.expect("a plotting job panicked"))
        .collect()
}
