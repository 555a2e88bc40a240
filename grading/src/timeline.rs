//! Concurrency in virtual time, with a picture.
//!
//! Hand the learner's code operations wrapped by [`Timeline::op`] (or mark spans by hand with
//! [`Timeline::begin`]); each records when it started (first poll) and finished (`Ready`) on
//! the runtime's clock. On a paused clock those instants are exact, so "the three fetches
//! overlapped" and "it took 1.0 s" are facts, not measurements. A failed check draws what was
//! expected next to what happened:
//!
//! ```text
//! expected (≈1.0 s)              actual (3.0 s)
//! fetch a ████████               fetch a ████████
//! fetch b ████████               fetch b         ████████
//! fetch c ████████               fetch c                 ████████
//! ```
//!
//! Bounded concurrency ("at most 3 downloads at a time, and never an idle slot while work
//! waits") is checked with [`Timeline::check_at_most_in_flight`] and
//! [`Timeline::check_no_idle_slot`], whose verdicts name the moment it went wrong.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::pending::StillPending;
use crate::units::format_seconds;

/// Columns of the longest bar in a picture.
const WIDTH: usize = 24;

/// One recorded operation, in time since the timeline's origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub name: String,
    pub start: Duration,
    /// `None`: it never finished (still pending, or dropped while pending).
    pub end: Option<Duration>,
}

/// What a check expected, for the picture.
#[derive(Clone, Debug)]
pub enum Expected {
    /// Every operation starts at the origin and takes as long as it actually took.
    AllAtOnce,
    /// Each operation starts when the previous one ends, in the order they started.
    OneAfterAnother,
    /// At most this many at a time, never an idle slot while work waits: in the order they
    /// started, each operation takes the first free slot, for as long as it actually took.
    Slots(usize),
    /// Explicit spans: (name, start, end).
    Spans(Vec<(String, Duration, Duration)>),
}

#[derive(Debug)]
struct Record {
    spans: Vec<Span>,
    /// The latest instant the timeline saw, for drawing unfinished spans.
    latest: Duration,
}

/// Records named operations on the runtime's clock. Clone it freely; create it inside the
/// runtime (on a paused clock, its origin is virtual).
#[derive(Clone, Debug)]
pub struct Timeline {
    origin: Instant,
    record: Arc<Mutex<Record>>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    /// A timeline whose origin is now. Made inside a [`crate::runtime::Run`], its unfinished
    /// lanes are named by the run's would-hang and watchdog verdicts.
    pub fn new() -> Self {
        let timeline = Self {
            origin: Instant::now(),
            record: Arc::new(Mutex::new(Record {
                spans: Vec::new(),
                latest: Duration::ZERO,
            })),
        };
        crate::pending::register(timeline.clone());
        timeline
    }

    fn now(&self) -> Duration {
        let now = Instant::now().saturating_duration_since(self.origin);
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record.latest = record.latest.max(now);
        now
    }

    fn push(&self, name: String) -> usize {
        let start = self.now();
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record.spans.push(Span {
            name,
            start,
            end: None,
        });
        record.spans.len() - 1
    }

    fn finish(&self, slot: usize) {
        let end = self.now();
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(span) = record.spans.get_mut(slot) {
            span.end = Some(end);
        }
    }

    /// Wraps `future`: its span starts at the first poll and ends when it returns `Ready`.
    pub fn op<F: Future>(&self, name: impl Into<String>, future: F) -> Op<F> {
        Op {
            inner: Box::pin(future),
            timeline: self.clone(),
            name: name.into(),
            slot: None,
        }
    }

    /// Starts a span now; it ends when the guard is dropped (or [`SpanGuard::end`]).
    pub fn begin(&self, name: impl Into<String>) -> SpanGuard {
        SpanGuard {
            slot: self.push(name.into()),
            timeline: self.clone(),
        }
    }

    /// The spans recorded so far, in the order they started.
    pub fn spans(&self) -> Vec<Span> {
        self.now();
        self.record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .spans
            .clone()
    }

    fn latest(&self) -> Duration {
        self.now();
        self.record.lock().unwrap_or_else(|e| e.into_inner()).latest
    }

    /// From the origin to the last end (or to now, if a span is unfinished).
    pub fn elapsed(&self) -> Duration {
        let spans = self.spans();
        if spans.iter().any(|s| s.end.is_none()) {
            return self.latest();
        }
        spans.iter().filter_map(|s| s.end).max().unwrap_or_default()
    }

    /// Checks that all spans ran at the same time (each started before every other ended) and
    /// that everything was done within `bound` of the origin. On failure: what went wrong, the
    /// figure, `fix`, and a picture of expected next to actual.
    pub fn check_all_at_once(&self, bound: Duration, fix: &str) -> Result<(), String> {
        let spans = self.spans();
        let unfinished: Vec<&str> = spans
            .iter()
            .filter(|s| s.end.is_none())
            .map(|s| s.name.as_str())
            .collect();
        let picture = self.picture(&Expected::AllAtOnce);
        if !unfinished.is_empty() {
            return Err(format!(
                "{} never finished ({} of virtual time in); {fix}\n{picture}",
                unfinished.join(", "),
                secs(self.latest())
            ));
        }
        let apart = spans.iter().enumerate().find_map(|(i, a)| {
            spans[i + 1..]
                .iter()
                .find(|b| !overlap(a, b))
                .map(|b| (a.name.clone(), b.name.clone()))
        });
        let expected = spans
            .iter()
            .filter_map(|s| s.end.map(|e| e - s.start))
            .max()
            .unwrap_or_default();
        let took = self.elapsed();
        if let Some((a, b)) = apart {
            return Err(format!(
                "ran one after another: {a} and {b} never ran at the same time, and the {} \
                 operations took {} of virtual time where ≈{} was expected; {fix}\n{picture}",
                spans.len(),
                secs(took),
                secs(expected)
            ));
        }
        if took > bound {
            return Err(format!(
                "took {} of virtual time, more than the {} allowed; {fix}\n{picture}",
                secs(took),
                secs(bound)
            ));
        }
        Ok(())
    }

    /// Checks that no two spans overlapped (each started after the previous one ended), for
    /// operations that must take turns.
    pub fn check_one_after_another(&self, fix: &str) -> Result<(), String> {
        let spans = self.spans();
        for (i, a) in spans.iter().enumerate() {
            if let Some(b) = spans[i + 1..].iter().find(|b| overlap(a, b)) {
                return Err(format!(
                    "{} and {} ran at the same time, where they must take turns; {fix}\n{}",
                    a.name,
                    b.name,
                    self.picture(&Expected::OneAfterAnother)
                ));
            }
        }
        Ok(())
    }

    /// The names of the operations in flight at `at` (started at or before it, not yet ended).
    pub fn in_flight_at(&self, at: Duration) -> Vec<String> {
        self.spans()
            .iter()
            .filter(|s| in_flight(s, at))
            .map(|s| s.name.clone())
            .collect()
    }

    /// Checks that never more than `limit` operations were in flight at once (a bound on
    /// concurrency: a semaphore, `buffer_unordered(limit)`). The verdict names the first moment
    /// the bound was broken and what was in flight then.
    pub fn check_at_most_in_flight(&self, limit: usize, fix: &str) -> Result<(), String> {
        let spans = self.spans();
        for at in moments(&spans, self.latest()) {
            let running: Vec<&str> = spans
                .iter()
                .filter(|s| in_flight(s, at))
                .map(|s| s.name.as_str())
                .collect();
            if running.len() > limit {
                return Err(format!(
                    "{} operations were in flight at {} of virtual time ({}), more than the {limit} \
                     allowed at once; {fix}\n{}",
                    running.len(),
                    format_seconds(at),
                    running.join(", "),
                    self.picture(&Expected::Slots(limit))
                ));
            }
        }
        Ok(())
    }

    /// Checks that no slot sat idle while work waited: whenever fewer than `slots` operations
    /// were in flight, none started later (every operation is taken to be available from the
    /// origin, as a queue of work is). Catches batches (`chunks(3)` then `join_all`), which
    /// wait for the slowest of each batch. Judge it on a paused clock, where instants are
    /// exact.
    pub fn check_no_idle_slot(&self, slots: usize, fix: &str) -> Result<(), String> {
        let spans = self.spans();
        let latest = self.latest();
        let moments = moments(&spans, latest);
        for (i, &at) in moments.iter().enumerate() {
            // Only stretches of time count: nothing can start "between" two events at one instant.
            if moments.get(i + 1).is_none_or(|next| *next == at) {
                continue;
            }
            let running: Vec<&str> = spans
                .iter()
                .filter(|s| in_flight(s, at))
                .map(|s| s.name.as_str())
                .collect();
            let waiting: Vec<&Span> = spans.iter().filter(|s| s.start > at).collect();
            if running.len() < slots
                && let Some(first) = waiting.first()
            {
                let busy = if running.is_empty() {
                    "nothing".to_owned()
                } else {
                    running.join(", ")
                };
                let names: Vec<&str> = waiting.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "a slot sat idle while work waited: at {} of virtual time only {} of {slots} \
                     operations were in flight ({busy}), while {} had not started yet ({} started \
                     only at {}); {fix}\n{}",
                    format_seconds(at),
                    running.len(),
                    names.join(", "),
                    first.name,
                    format_seconds(first.start),
                    self.picture(&Expected::Slots(slots))
                ));
            }
        }
        Ok(())
    }

    /// Expected (left) next to actual (right), on one time scale.
    pub fn picture(&self, expected: &Expected) -> String {
        let actual = self.spans();
        let latest = self.latest();
        let expected_spans: Vec<(String, Duration, Duration)> = match expected {
            Expected::Spans(spans) => spans.clone(),
            Expected::AllAtOnce => actual
                .iter()
                .map(|s| (s.name.clone(), Duration::ZERO, duration_of(s, latest)))
                .collect(),
            Expected::Slots(slots) => {
                let mut free_at = vec![Duration::ZERO; (*slots).max(1)];
                actual
                    .iter()
                    .map(|s| {
                        let slot = (0..free_at.len())
                            .min_by_key(|&i| free_at[i])
                            .unwrap_or_default();
                        let start = free_at[slot];
                        free_at[slot] = start + duration_of(s, latest);
                        (s.name.clone(), start, free_at[slot])
                    })
                    .collect()
            }
            Expected::OneAfterAnother => {
                let mut at = Duration::ZERO;
                actual
                    .iter()
                    .map(|s| {
                        let start = at;
                        at += duration_of(s, latest);
                        (s.name.clone(), start, at)
                    })
                    .collect()
            }
        };
        let expected_total = expected_spans.iter().map(|s| s.2).max().unwrap_or_default();
        let actual_total = actual
            .iter()
            .map(|s| s.end.unwrap_or(latest))
            .max()
            .unwrap_or_default();
        let scale = expected_total
            .max(actual_total)
            .max(Duration::from_nanos(1));
        let label = actual
            .iter()
            .map(|s| s.name.chars().count())
            .chain(expected_spans.iter().map(|s| s.0.chars().count()))
            .max()
            .unwrap_or(0);
        let left_width = (label + 1 + WIDTH + 3).max(20);

        let rows = expected_spans.len().max(actual.len());
        let mut lines = vec![format!(
            "{:<left_width$}actual ({})",
            format!("expected (≈{})", secs(expected_total)),
            secs(actual_total)
        )];
        for row in 0..rows {
            let left = expected_spans
                .get(row)
                .map(|(name, start, end)| {
                    format!("{name:<label$} {}", bar(*start, Some(*end), latest, scale))
                })
                .unwrap_or_default();
            let right = actual
                .get(row)
                .map(|s| format!("{:<label$} {}", s.name, bar(s.start, s.end, latest, scale)))
                .unwrap_or_default();
            let pad = left_width.saturating_sub(left.chars().count());
            lines.push(
                format!("{left}{}{right}", " ".repeat(pad))
                    .trim_end()
                    .to_owned(),
            );
        }
        lines.join("\n")
    }
}

fn duration_of(span: &Span, latest: Duration) -> Duration {
    span.end.unwrap_or(latest).saturating_sub(span.start)
}

fn in_flight(span: &Span, at: Duration) -> bool {
    span.start <= at && span.end.is_none_or(|end| at < end)
}

/// Every instant something started or ended, in order (and `latest` for unfinished spans).
fn moments(spans: &[Span], latest: Duration) -> Vec<Duration> {
    let mut moments: Vec<Duration> = spans
        .iter()
        .flat_map(|s| [s.start, s.end.unwrap_or(latest)])
        .collect();
    moments.sort();
    moments.dedup();
    moments
}

fn overlap(a: &Span, b: &Span) -> bool {
    let end_a = a.end.unwrap_or(Duration::MAX);
    let end_b = b.end.unwrap_or(Duration::MAX);
    a.start < end_b && b.start < end_a
}

fn column(at: Duration, scale: Duration) -> usize {
    (at.as_secs_f64() / scale.as_secs_f64() * WIDTH as f64).round() as usize
}

/// A bar from `start` to `end`; an unfinished one runs light to `latest` and says so.
fn bar(start: Duration, end: Option<Duration>, latest: Duration, scale: Duration) -> String {
    let from = column(start, scale);
    let to = column(end.unwrap_or(latest), scale).max(from + 1);
    let fill = if end.is_some() { "█" } else { "░" };
    let mut bar = format!("{}{}", " ".repeat(from), fill.repeat(to - from));
    if end.is_none() {
        bar.push_str(" (never finished)");
    }
    bar
}

fn secs(duration: Duration) -> String {
    format_seconds(duration)
}

impl StillPending for Timeline {
    fn still_pending(&self, _real_time: bool) -> Vec<String> {
        self.spans()
            .iter()
            .filter(|s| s.end.is_none())
            .map(|s| {
                format!(
                    "timeline lane `{}` (started at {} of virtual time, never finished)",
                    s.name,
                    format_seconds(s.start)
                )
            })
            .collect()
    }
}

/// A future wrapped by [`Timeline::op`].
pub struct Op<F: Future> {
    inner: Pin<Box<F>>,
    timeline: Timeline,
    name: String,
    slot: Option<usize>,
}

impl<F: Future> Future for Op<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let slot = match this.slot {
            Some(slot) => slot,
            None => {
                let slot = this.timeline.push(this.name.clone());
                this.slot = Some(slot);
                slot
            }
        };
        let result = this.inner.as_mut().poll(cx);
        if result.is_ready() {
            this.timeline.finish(slot);
        }
        result
    }
}

/// Ends a span started with [`Timeline::begin`] when dropped.
pub struct SpanGuard {
    timeline: Timeline,
    slot: usize,
}

impl SpanGuard {
    pub fn end(self) {}
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        self.timeline.finish(self.slot);
    }
}
