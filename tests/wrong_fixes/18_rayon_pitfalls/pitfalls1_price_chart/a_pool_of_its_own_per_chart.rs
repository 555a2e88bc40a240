//! Wrong fix: awaits the points of a job on a rayon pool built for every chart, not on rayon's
//! global pool: each redraw starts threads of its own on top of the server's.
// expect fail: not on rayon's global pool
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

use rayon::prelude::*;
use tokio::sync::oneshot;

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
    // A pool just for this chart, so the plotting never waits behind anybody else's work.
    let charts = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("could not start the chart pool");
    let (send_points, points) = oneshot::channel();
    charts.spawn(move || {
        let plotted: Vec<Point> = quotes.par_iter().map(&plot).collect();
        let _ = send_points.send(plotted);
    });
    points.await.expect("the plotting job panicked")
}
