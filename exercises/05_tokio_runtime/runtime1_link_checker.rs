//! `linkcheck` is a synchronous command-line tool: `main` parses the arguments, calls
//! `check_links`, prints the report. Only the checking is async: every link gets a task of its
//! own, and `probe` (the tool's HTTP probe, not yours to change) uses tokio's timers for its
//! timeouts and tokio's sockets for its connections.
//!
//! The prototype got its runtime from `#[tokio::main]`, which is fine for a quick `main` but
//! takes no settings: one worker thread per core, all named by tokio (`tokio-rt-worker`). The
//! tool now runs on shared build machines, where the operators set how many worker threads it
//! may use (`Settings::workers`) and want to tell its threads apart in `top`
//! (`Settings::name`).
//!
//! Done when: `check_links` (still a plain, synchronous function) builds its runtime by hand,
//! with exactly `settings.workers` worker threads, each named `<settings.name>-worker`
//! (a numbered suffix after it, `-worker-1`, is fine too), with the timers and sockets `probe`
//! needs; it probes every link in a task of its own, on those workers, and returns
//! `(link, is_alive)` for each link in the order given (no links, an empty report); each call
//! builds its runtime for its own settings and shuts it down before it returns.

use std::future::Future;

/// What the operators configure.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The tool's name, which its worker threads carry: `<name>-worker`.
    pub name: String,
    /// How many worker threads the runtime may start (at least 1).
    pub workers: usize,
}

/// Probes every link in a task of its own, and reports whether each one is alive, in order.
// TODO: `#[tokio::main]` builds a runtime that ignores `settings`. Build it yourself instead
// (and keep `check_links` a synchronous function: callers don't await it).
#[tokio::main]
pub async fn check_links<P, F>(settings: &Settings, links: &[&str], probe: P) -> Vec<(String, bool)>
where
    P: Fn(String) -> F,
    F: Future<Output = bool> + Send + 'static,
{
    let _ = settings;
    let tasks: Vec<_> = links
        .iter()
        .map(|link| tokio::spawn(probe(link.to_string())))
        .collect();
    let mut report = Vec::with_capacity(links.len());
    for (link, task) in links.iter().zip(tasks) {
        let alive = task.await.expect("a probe panicked");
        report.push((link.to_string(), alive));
    }
    report
}
