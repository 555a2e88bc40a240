//! Grades the `geo` library from both sides: `geocode_all` from a plain thread with no runtime
//! (a synchronous tool), and `handle_request` on a service runtime, current-thread and
//! multi-thread (as a spawned task, as a server runs its handlers).
//!
//! The grader's `Geocoder` asks a geo server for each city, after 5 to 45 ms of network latency
//! on tokio's timer and a datagram over a tokio socket. On a current-thread service runtime the
//! server is a task of that runtime, so blocking the service's thread on a lookup is a deadlock
//! there; each lookup records
//! (`Placement`) whether it was polled on the service runtime's threads or elsewhere (the
//! blocking pool, a thread of its own), and whether its runtime was the service's or one built
//! for the request. Tokio's panics (a
//! `block_on` inside async code, a runtime dropped there, `block_in_place` on a current-thread
//! runtime, no runtime at all on the synchronous side) become verdicts.

use std::sync::{Arc, Mutex};
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

/// The network latency of a lookup: 20 ms apart, in the reverse order of the checks' lists
/// (far more than the scheduling jitter), so that lookups made at the same time finish out of
/// order on every run, and answers gathered as they finish come back out of order.
fn latency(city: &str) -> Duration {
    Duration::from_millis(match city {
        "Quito" => 45,
        "Lyon" => 25,
        _ => 5,
    })
}

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

/// What a runtime looks like from inside: its flavour and its number of workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    current_thread: bool,
    workers: usize,
}

impl Shape {
    fn current() -> Self {
        let handle = tokio::runtime::Handle::current();
        Shape {
            current_thread: handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread,
            workers: handle.metrics().num_workers(),
        }
    }
}

/// The grader's geocoding client: each lookup waits 5 ms on tokio's timer, then asks the geo
/// server. Every lookup records the thread it was first polled on (`polled`), and the shape of
/// the runtime it ran on (`runtimes`: flavour and worker count), to compare with the service's
/// (no probe task is spawned: a task spawned from a blocked worker can sit in that worker's
/// own slot, where no other worker takes it, and would turn a mistake into a hang on some runs
/// only).
///
/// Every poll of a lookup also goes through a `WaitInOnePoll` of its own (one per lookup:
/// lookups that take turns inside one poll, as `join_all` polls them, are not waits), which
/// tells whether the handler waited for that lookup inside one of its own polls (a `block_on`
/// in async code).
struct FakeGeo {
    server: mpsc::UnboundedSender<Request>,
    polled: Placement,
    runtimes: Arc<Mutex<Vec<Shape>>>,
    same_poll: Arc<Mutex<Vec<WaitInOnePoll>>>,
}

impl FakeGeo {
    /// Made inside the service's runtime, on its thread (or on a synchronous tool's thread).
    fn new(server: mpsc::UnboundedSender<Request>) -> Self {
        FakeGeo {
            server,
            polled: Placement::new(),
            runtimes: Arc::default(),
            same_poll: Arc::default(),
        }
    }
}

impl Geocoder for FakeGeo {
    fn lookup(&self, city: &str) -> impl Future<Output = Option<Coord>> + Send {
        let (city, server) = (city.to_owned(), self.server.clone());
        let (polled, runtimes) = (self.polled.clone(), Arc::clone(&self.runtimes));
        let mut lookup = Box::pin(async move {
            polled.record(|| ());
            runtimes.lock().unwrap().push(Shape::current());
            tokio::time::sleep(latency(&city)).await;
            ping_over_a_socket().await;
            let (reply, answer) = oneshot::channel();
            server.send((city, reply)).expect("the geo server is down");
            answer.await.expect("the geo server dropped a request")
        });
        let same_poll = WaitInOnePoll::default();
        self.same_poll.lock().unwrap().push(same_poll.clone());
        std::future::poll_fn(move |cx| same_poll.poll(|| lookup.as_mut().poll(cx)))
    }
}

/// A datagram to itself on a tokio socket, as the real client's HTTP request would use the
/// runtime's I/O driver (tokio panics on a runtime without one).
async fn ping_over_a_socket() {
    let plain = std::net::UdpSocket::bind("127.0.0.1:0").expect("the grader could not bind");
    plain.set_nonblocking(true).expect("the grader could not set up its socket");
    let socket = tokio::net::UdpSocket::from_std(plain).expect("the grader's socket failed");
    let me = socket.local_addr().expect("the grader's socket has no address");
    socket.send_to(b"geo?", me).await.expect("the grader's datagram was not sent");
    let mut buffer = [0; 4];
    socket.recv_from(&mut buffer).await.expect("the grader's datagram was lost");
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
    Arc::new(FakeGeo::new(server))
}

/// A geo client whose server is a plain thread, which answers whatever the runtime's threads
/// do (so that a handler blocking a worker on its lookups is named for waiting inside one
/// poll, on every run, rather than deadlocking on some runs and not on others).
fn geo_on_a_thread() -> FakeGeo {
    let (server, mut requests) = mpsc::unbounded_channel::<Request>();
    thread::spawn(move || {
        while let Some(request) = requests.blocking_recv() {
            answer(request);
        }
    });
    FakeGeo::new(server)
}

const ON_BLOCKED: &str = "handle_request blocked the service's thread while its lookups waited \
    for the geo server, whose answers (and timers) need that same thread to run (a deadlock): \
    in async code, .await the lookups on the service's runtime instead of blocking on them";

/// The verdicts for tokio's panics on the service's side.
fn explain_service_panic(message: &str) -> Option<String> {
    let said = message.split(". ").next().unwrap_or(message);
    if message.contains("runtime from within a runtime") {
        Some(format!(
            "handle_request blocked on a runtime (one of its own, or the service's through a \
             handle) inside the service's runtime, and tokio panicked (\"{said}\"): a thread \
             that runs async tasks must not block, so tokio refuses a block_on there; the handler is already on a runtime: .await the \
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

/// Runs `handle_request` on a service runtime (current-thread, or with `workers` workers, as
/// a spawned task); returns the answers and where the lookups ran.
fn serve(workers: Option<usize>, names: &'static [&'static str]) -> (Vec<Option<Coord>>, Sites) {
    // Real time, on both flavours: a paused clock does not advance while a blocking-pool task
    // runs, so a handler that drives its lookups from the blocking pool would hang on the
    // lookups' timers there, and be named for a hang instead of for its mistake.
    let run = match workers {
        None => real_clock(),
        Some(workers) => real_clock().multi_thread(workers),
    };
    let run = run
        .limit(LIMIT)
        .on_blocked(ON_BLOCKED)
        .on_never_woken("handle_request never answered: a lookup waited for something that never came")
        .explain_panics(explain_service_panic);
    let request = move || async move {
        // On a current-thread service the geo server is one of its tasks, so blocking the
        // service's thread on a lookup is a deadlock, every time.
        let geo = match workers {
            None => geo_on_this_runtime(),
            Some(_) => Arc::new(geo_on_a_thread()),
        };
        let service = Shape::current();
        let handling = handle_request(Arc::clone(&geo), cities(names));
        let answers = mark_polls("handle_request", handling).await;
        (answers, Sites::of(&geo, service))
    };
    if workers.is_some() {
        run.run_spawned(request)
    } else {
        run.run(request)
    }
}

/// Where the lookups of one request ran.
struct Sites {
    /// The thread each lookup was polled on.
    polled: Vec<ThreadKind>,
    /// How many lookups ran on a runtime shaped unlike the service's.
    other_runtime: usize,
    /// Whether the handler waited for a lookup inside one of its polls.
    waited_in_one_poll: bool,
}

impl Sites {
    fn of(geo: &FakeGeo, service: Shape) -> Self {
        let kinds = |placement: &Placement| placement.calls().iter().map(|call| call.kind).collect();
        Sites {
            polled: kinds(&geo.polled),
            other_runtime: (geo.runtimes.lock().unwrap().iter())
                .filter(|shape| **shape != service)
                .count(),
            waited_in_one_poll: (geo.same_poll.lock().unwrap().iter())
                .any(|lookup| lookup.waited_in_one_poll().is_some()),
        }
    }

    fn check_on_the_service_runtime(&self) {
        let total = self.polled.len();
        let other_runtime = self.other_runtime;
        assert!(
            other_runtime == 0,
            "{other_runtime} of {total} lookup(s) ran on a runtime other than the service's (one \
             built for the request): every request pays for a runtime of its own, and a thread \
             sits waiting on it while the lookups wait; in the handler, .await the lookups on \
             the service's runtime"
        );
        assert!(
            !self.waited_in_one_poll,
            "handle_request waited for its lookups inside one of its own polls (a block_on in \
             async code): the worker it runs on was held for the whole request, unable to run \
             the service's other tasks, while the lookups only waited; .await the lookups, so \
             that the handler returns to the runtime while they wait"
        );
        let elsewhere = self.polled.iter().filter(|kind| **kind != ThreadKind::Runtime).count();
        assert!(
            elsewhere == 0,
            "{elsewhere} of {total} lookup(s) were driven from a thread outside the service's \
             runtime (the blocking pool, or a thread of its own, blocking on them there): that \
             thread is held for the whole request while the lookups only wait; in the handler, \
             .await the lookups on the service's runtime"
        );
    }
}

/// The handler's answers: one per city, in the order asked.
fn check_answers(answers: &[Option<Coord>], names: &[&str]) {
    let expected = expected(names);
    let sorted = |items: &[Option<Coord>]| {
        let mut texts: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
        texts.sort();
        texts
    };
    assert!(
        answers == expected || sorted(answers) != sorted(&expected),
        "handle_request answered in the order the lookups finished (the slower ones last), not \
         in the order of the cities asked ({names:?}); keep each answer at its city's place"
    );
    assert_eq!(
        answers, expected,
        "handle_request gave the wrong answers: one per city, in order, None for a city the \
         service does not know"
    );
}

#[test]
fn geocodes_for_a_synchronous_tool() {
    let names: &[&str] = &["Oslo", "Atlantis", "Lyon", "Oslo"];
    let (answers, none) = Watchdog::new(
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
        let geo = FakeGeo::new(server);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // Twice: a tool calls it again, and with nothing to look up.
            (geocode_all(&geo, &cities(names)), geocode_all(&geo, &[]))
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
                if message.contains("are disabled") || message.contains("is disabled") {
                    panic!(
                        "geocode_all built a runtime without the driver the lookups need, and \
                         tokio panicked (\"{}\"): a runtime built by hand has no timers and no \
                         sockets unless asked; enable the drivers on the builder",
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
    assert!(
        none.is_empty(),
        "geocode_all gave {} answer(s) to a synchronous tool that asked about no city",
        none.len()
    );
}

#[test]
fn answers_a_request_on_a_current_thread_service() {
    let names: &'static [&'static str] = &["Lyon", "Quito", "Atlantis"];
    let (answers, sites) = serve(None, names);
    sites.check_on_the_service_runtime();
    check_answers(&answers, names);
}

#[test]
fn answers_a_request_on_a_multi_thread_service() {
    let names: &'static [&'static str] = &["Quito", "Oslo", "Quito", "Lyon"];
    let (answers, sites) = serve(Some(3), names);
    sites.check_on_the_service_runtime();
    check_answers(&answers, names);
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
