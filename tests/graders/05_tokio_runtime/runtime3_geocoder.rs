//! Grades the `geo` library from both sides: `geocode_all` from a plain thread with no runtime
//! (a synchronous tool), and `handle_request` on a service runtime, current-thread (paused
//! clock) and multi-thread (as a spawned task, as a server runs its handlers).
//!
//! The grader's `Geocoder` asks a geo server for each city and waits 5 ms of network latency
//! on tokio's timer. On a service runtime the server is a task of that runtime, so blocking the
//! service's thread on a lookup is a deadlock on a current-thread runtime; each lookup records
//! (`Placement`) whether it was polled on the service runtime's threads or elsewhere (a runtime
//! built for the request, on the blocking pool or a thread of its own). Tokio's panics (a
//! `block_on` inside async code, a runtime dropped there, `block_in_place` on a current-thread
//! runtime, no runtime at all on the synchronous side) become verdicts.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use asynclings_grading::parallel::ThreadKind;
use asynclings_grading::prelude::*;
use tokio::sync::{mpsc, oneshot};

use crate::exercise::{Coord, Geocoder, geocode_all, handle_request};

/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_secs(2);

const ATLAS: [(&str, Coord); 3] = [
    ("Lyon", Coord { lat: 45.76, lon: 4.84 }),
    ("Oslo", Coord { lat: 59.91, lon: 10.75 }),
    ("Quito", Coord { lat: -0.18, lon: -78.47 }),
];

fn where_is(city: &str) -> Option<Coord> {
    ATLAS.iter().find(|(name, _)| *name == city).map(|(_, at)| *at)
}

fn cities(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn expected(names: &[&str]) -> Vec<Option<Coord>> {
    names.iter().map(|name| where_is(name)).collect()
}

type Request = (String, oneshot::Sender<Option<Coord>>);

/// The grader's geocoding client: each lookup waits 5 ms on tokio's timer, then asks the geo
/// server. Every lookup is recorded where it was first polled.
struct FakeGeo {
    server: mpsc::UnboundedSender<Request>,
    placement: Placement,
}

impl Geocoder for FakeGeo {
    fn lookup(&self, city: &str) -> impl Future<Output = Option<Coord>> + Send {
        let (city, server, placement) = (city.to_owned(), self.server.clone(), self.placement.clone());
        async move {
            placement.record(|| ());
            tokio::time::sleep(Duration::from_millis(5)).await;
            let (reply, answer) = oneshot::channel();
            server.send((city, reply)).expect("the geo server is down");
            answer.await.expect("the geo server dropped a request")
        }
    }
}

fn answer((city, reply): Request) {
    let _ = reply.send(where_is(&city));
}

/// A geo client whose server is a task of the current runtime (made inside the service's
/// runtime, on its thread).
fn geo_on_this_runtime() -> Arc<FakeGeo> {
    let (server, mut requests) = mpsc::unbounded_channel::<Request>();
    tokio::spawn(async move {
        while let Some(request) = requests.recv().await {
            answer(request);
        }
    });
    Arc::new(FakeGeo {
        server,
        placement: Placement::new(),
    })
}

const ON_BLOCKED: &str = "handle_request blocked the service's thread while its lookups waited \
    for the geo server, whose answers (and timers) need that same thread to run (a deadlock): \
    in async code, .await the lookups on the service's runtime instead of blocking on them";

/// The verdicts for tokio's panics on the service's side.
fn explain_service_panic(message: &str) -> Option<String> {
    let said = message.split(". ").next().unwrap_or(message);
    if message.contains("runtime from within a runtime") {
        Some(format!(
            "handle_request blocked on a runtime of its own inside the service's runtime, and \
             tokio panicked (\"{said}\"): a thread that runs async tasks must not block, so \
             tokio refuses a block_on there; the handler is already on a runtime: .await the \
             lookups on it, and leave building a runtime to the synchronous entry point"
        ))
    } else if message.contains("drop a runtime") {
        Some(format!(
            "handle_request dropped a runtime inside async code, and tokio panicked \
             (\"{said}\"): shutting a runtime down waits for its threads, which async code must \
             not do; don't build a runtime per request at all: .await the lookups on the \
             service's runtime"
        ))
    } else if message.contains("only when running on the multi-threaded runtime") {
        Some(format!(
            "handle_request called block_in_place on a current-thread service runtime, and \
             tokio panicked (\"{said}\"): there is no other thread to hand the service's tasks \
             to; .await the lookups on the service's runtime instead of blocking"
        ))
    } else {
        None
    }
}

/// Runs `handle_request` on a service runtime (current-thread on a paused clock, or with
/// `workers` workers, as a spawned task); returns the answers and where the lookups ran.
fn serve(workers: Option<usize>, names: &'static [&'static str]) -> (Vec<Option<Coord>>, Vec<ThreadKind>) {
    let run = match workers {
        None => paused_clock(),
        Some(workers) => real_clock().multi_thread(workers),
    };
    let run = run
        .limit(LIMIT)
        .on_blocked(ON_BLOCKED)
        .on_never_woken("handle_request never answered: a lookup waited for something that never came")
        .explain_panics(explain_service_panic);
    let request = move || async move {
        let geo = geo_on_this_runtime();
        let answers = handle_request(Arc::clone(&geo), cities(names)).await;
        let kinds = geo.placement.calls().iter().map(|call| call.kind).collect();
        (answers, kinds)
    };
    if workers.is_some() {
        run.run_spawned(request)
    } else {
        run.run(request)
    }
}

fn check_on_the_service_runtime(kinds: &[ThreadKind]) {
    let elsewhere = kinds.iter().filter(|kind| **kind != ThreadKind::Runtime).count();
    assert!(
        elsewhere == 0,
        "{elsewhere} of {} lookup(s) ran outside the service's runtime (on another thread: a \
         runtime built for the request, on the blocking pool or a thread of its own): every \
         request pays for a runtime and holds a thread while its lookups wait; in the handler, \
         .await the lookups on the service's runtime",
        kinds.len()
    );
}

#[test]
fn geocodes_for_a_synchronous_tool() {
    let names: &[&str] = &["Oslo", "Atlantis", "Lyon", "Oslo"];
    let answers = Watchdog::new(
        LIMIT,
        "geocode_all never returned to the synchronous tool: the lookups never finished",
    )
    .run(move || {
        // The geo server of a synchronous tool: a plain thread.
        let (server, mut requests) = mpsc::unbounded_channel::<Request>();
        thread::spawn(move || {
            while let Some(request) = requests.blocking_recv() {
                answer(request);
            }
        });
        let geo = FakeGeo {
            server,
            placement: Placement::new(),
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            geocode_all(&geo, &cities(names))
        })) {
            Ok(answers) => answers,
            Err(panic) => {
                let message = panic_message(&*panic);
                if message.contains("no reactor running") || message.contains("context of a Tokio") {
                    panic!(
                        "geocode_all looked for a runtime on the synchronous tool's thread, which \
                         has none, and tokio panicked (\"{}\"): a synchronous caller has no runtime \
                         to lend; for synchronous callers, geocode_all must bring its own",
                        message.split(". ").next().unwrap_or(message)
                    );
                }
                std::panic::resume_unwind(panic)
            }
        }
    });
    assert_eq!(
        answers,
        expected(names),
        "geocode_all gave the wrong answers to a synchronous tool: one per city, in order, None \
         for a city the service does not know"
    );
}

#[test]
fn answers_a_request_on_a_current_thread_service() {
    let names: &'static [&'static str] = &["Lyon", "Quito", "Atlantis"];
    let (answers, kinds) = serve(None, names);
    check_on_the_service_runtime(&kinds);
    assert_eq!(
        answers,
        expected(names),
        "handle_request gave the wrong answers: one per city, in order, None for a city the \
         service does not know"
    );
}

#[test]
fn answers_a_request_on_a_multi_thread_service() {
    let names: &'static [&'static str] = &["Quito", "Oslo", "Quito", "Lyon"];
    let (answers, kinds) = serve(Some(2), names);
    check_on_the_service_runtime(&kinds);
    assert_eq!(
        answers,
        expected(names),
        "handle_request gave the wrong answers: one per city, in order, None for a city the \
         service does not know"
    );
}

#[test]
fn answers_an_empty_request() {
    let (answers, _) = serve(None, &[]);
    assert!(
        answers.is_empty(),
        "handle_request gave {} answer(s) for a request without cities",
        answers.len()
    );
}
