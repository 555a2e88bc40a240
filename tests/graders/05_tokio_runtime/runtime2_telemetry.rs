//! Grades `Telemetry` from a plain thread playing the app's UI thread. The grader's `upload`
//! records, from inside each upload, the thread it ran on and the runtime around it (flavour,
//! worker count, whether tokio's timer and I/O drivers are there), then the batch once it is sent. Whether the
//! uploader runs while the UI thread does something else is decided by the UI thread waiting on
//! a condition variable for the upload (a bounded wait that a working uploader ends in
//! milliseconds); whether `shutdown` waits for the queue is decided by uploads that cannot end
//! before the UI thread is either asleep inside `shutdown` (waiting for them) or back from it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use asynclings_grading::cpu::ThreadCpu;
use asynclings_grading::prelude::*;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::watch;

use crate::exercise::Telemetry;

/// A check still running after this long (real time) is stopped and named by the watchdog.
const LIMIT: Duration = Duration::from_secs(5);
/// How long the UI thread waits for an upload while it goes on with its own work. A running
/// uploader sends within milliseconds; one that never gets a turn never does.
const PATIENCE: Duration = Duration::from_secs(2);

/// The worker count tokio gives a multi-thread runtime built without one (it reads this
/// variable before it looks at the machine's cores), so that such a runtime is named with the
/// same figure on every machine.
const DEFAULT_WORKERS: &str = "3";

/// Pins tokio's default worker count for this check's process (each check is a process of its
/// own; this runs first, before the check starts any thread that could read the environment).
fn pin_default_workers() {
    // SAFETY: no other thread of this process reads or writes the environment meanwhile.
    unsafe { std::env::set_var("TOKIO_WORKER_THREADS", DEFAULT_WORKERS) };
}

/// One upload, as it saw itself.
#[derive(Clone, Debug)]
struct Upload {
    thread: ThreadId,
    current_thread: bool,
    workers: usize,
    /// A driver the upload found missing (`timer` or `I/O`), with tokio's panic message.
    missing: Option<(&'static str, String)>,
    /// The batch, once it was sent.
    sent: Option<Vec<String>>,
}

/// The grader's telemetry server.
struct Server {
    uploads: Mutex<Vec<Upload>>,
    changed: Condvar,
    /// Uploads finish only once this is open.
    gate: watch::Sender<bool>,
}

type UploadFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Server {
    fn new(open: bool) -> Arc<Self> {
        Arc::new(Server {
            uploads: Mutex::default(),
            changed: Condvar::new(),
            gate: watch::Sender::new(open),
        })
    }

    /// The `upload` function handed to `Telemetry::start`.
    fn upload(self: &Arc<Self>) -> impl Fn(Vec<String>) -> UploadFuture + Send + 'static {
        let server = Arc::clone(self);
        move |batch| {
            let server = Arc::clone(&server);
            Box::pin(async move {
                let handle = Handle::current();
                let mut upload = Upload {
                    thread: thread::current().id(),
                    current_thread: handle.runtime_flavor() == RuntimeFlavor::CurrentThread,
                    workers: handle.metrics().num_workers(),
                    missing: None,
                    sent: None,
                };
                let index = server.note(upload.clone());
                upload.missing = use_timers_and_sockets().await.err();
                let mut gate = server.gate.subscribe();
                let _ = gate.wait_for(|open| *open).await;
                upload.sent = Some(batch);
                server.uploads.lock().unwrap()[index] = upload;
                server.changed.notify_all();
            })
        }
    }

    fn note(&self, upload: Upload) -> usize {
        let mut uploads = self.uploads.lock().unwrap();
        uploads.push(upload);
        uploads.len() - 1
    }

    fn uploads(&self) -> Vec<Upload> {
        self.uploads.lock().unwrap().clone()
    }

    /// The events sent so far, in the order of their batches.
    fn sent(&self) -> Vec<String> {
        self.uploads()
            .into_iter()
            .filter_map(|upload| upload.sent)
            .flatten()
            .collect()
    }

    /// Waits (real time, up to `PATIENCE`) until `count` events were sent.
    fn wait_for_events(&self, count: usize) -> bool {
        let uploads = self.uploads.lock().unwrap();
        let sent = |uploads: &Vec<Upload>| -> usize {
            uploads.iter().filter_map(|u| u.sent.as_ref()).map(Vec::len).sum()
        };
        let (uploads, _) = self
            .changed
            .wait_timeout_while(uploads, PATIENCE, |uploads| sent(uploads) < count)
            .unwrap();
        sent(&uploads) >= count
    }

    /// Where the uploads ran: never on the UI thread, on one thread of telemetry's own, with
    /// tokio's timer.
    fn check_where_uploads_ran(&self, ui: ThreadId) {
        let uploads = self.uploads();
        if let Some((driver, message)) = uploads.iter().find_map(|u| u.missing.as_ref()) {
            let said = message.split(". ").next().unwrap_or(message);
            panic!(
                "an upload ran on a runtime without tokio's {driver} driver (tokio: \"{said}\"): \
                 upload uses tokio's timers and sockets, and a runtime built by hand has them \
                 only when asked; enable the drivers on the builder"
            );
        }
        let on_ui = uploads.iter().filter(|u| u.thread == ui).count();
        assert!(
            on_ui == 0,
            "{on_ui} of {} upload(s) ran on the UI thread: the app's window froze while \
             telemetry sent its events (on a current-thread runtime, tasks run on whichever \
             thread is inside block_on); give the runtime a thread of its own to run its tasks",
            uploads.len()
        );
        if let Some(wide) = uploads.iter().find(|u| !u.current_thread && u.workers != 1) {
            panic!(
                "telemetry's runtime started {} worker threads, where one is all it may use on \
                 the user's laptop: a multi-thread runtime starts one per core unless told \
                 otherwise; give telemetry exactly one thread",
                wide.workers
            );
        }
    }
}

/// Sleeps 1 ms on tokio's timer and sends a datagram to itself on a tokio socket, as a real
/// upload would; a missing driver is reported with tokio's panic message instead of panicking.
async fn use_timers_and_sockets() -> Result<(), (&'static str, String)> {
    let sleep = catch_unwind(|| tokio::time::sleep(Duration::from_millis(1)))
        .map_err(|panic| ("timer", panic_message(&*panic).to_owned()))?;
    sleep.await;
    let plain = std::net::UdpSocket::bind("127.0.0.1:0").expect("the grader could not bind");
    plain.set_nonblocking(true).expect("the grader could not set up its socket");
    let socket = catch_unwind(AssertUnwindSafe(|| tokio::net::UdpSocket::from_std(plain)))
        .map_err(|panic| ("I/O", panic_message(&*panic).to_owned()))?
        .expect("the grader could not register its socket");
    let me = socket.local_addr().expect("the grader's socket has no address");
    socket.send_to(b"sent", me).await.expect("the grader's datagram was not sent");
    let mut buffer = [0; 4];
    socket.recv_from(&mut buffer).await.expect("the grader's datagram was lost");
    Ok(())
}

/// Runs `check` on a plain thread (the UI thread) under a watchdog.
fn on_ui_thread<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> T {
    pin_default_workers();
    Watchdog::new(
        LIMIT,
        "the UI thread never got back from telemetry: record or shutdown waited for something \
         that never came",
    )
    .run(check)
}

fn events(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn uploads_in_the_background_while_the_app_runs() {
    on_ui_thread(|| {
        let ui = thread::current().id();
        let server = Server::new(true);
        let telemetry = Telemetry::start(server.upload());
        let recorded = ["open_photo", "crop", "export_jpeg"];
        for event in recorded {
            telemetry.record(event);
        }
        // The UI thread's own work: it waits here, never calling into telemetry.
        let arrived = server.wait_for_events(recorded.len());
        server.check_where_uploads_ran(ui);
        assert!(
            arrived,
            "{} event(s) recorded, {} uploaded after {} s while the UI thread went on with its \
             own work: the uploader task never got a turn. A current-thread runtime runs its \
             tasks only while a thread is inside its block_on, and the UI thread never is; \
             give the runtime a thread of its own to run its tasks",
            recorded.len(),
            server.sent().len(),
            PATIENCE.as_secs()
        );
        telemetry.shutdown();
        server.check_where_uploads_ran(ui);
        assert_eq!(
            server.sent(),
            events(&recorded),
            "telemetry uploaded the wrong events: each recorded event exactly once, in the \
             order recorded"
        );
    });
}

#[test]
fn shutdown_returns_after_the_last_upload() {
    let sent = on_ui_thread(|| {
        let ui = thread::current().id();
        let server = Server::new(false);
        let telemetry = Telemetry::start(server.upload());
        let recorded = ["open_photo", "rotate", "rotate", "save", "quit"];
        for event in recorded {
            telemetry.record(event);
        }
        // The uploads wait until the UI thread is asleep inside shutdown (waiting for them) or
        // back from it, so an upload can never finish early by luck.
        let (inside, returned) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let opener = {
            let (server, inside, returned) =
                (Arc::clone(&server), Arc::clone(&inside), Arc::clone(&returned));
            let ui_cpu = ThreadCpu::current();
            thread::spawn(move || {
                let started = Instant::now();
                while started.elapsed() < LIMIT {
                    let asleep = ui_cpu.as_ref().and_then(ThreadCpu::is_sleeping);
                    if returned.load(SeqCst) || (inside.load(SeqCst) && asleep != Some(false)) {
                        break;
                    }
                    thread::sleep(Duration::from_millis(2));
                }
                server.gate.send_replace(true);
            })
        };
        inside.store(true, SeqCst);
        telemetry.shutdown();
        let sent = server.sent();
        returned.store(true, SeqCst);
        opener.join().expect("the grader's opener thread panicked");
        server.check_where_uploads_ran(ui);
        sent
    });
    let recorded = events(&["open_photo", "rotate", "rotate", "save", "quit"]);
    let missing = recorded.len().saturating_sub(sent.len());
    assert!(
        missing == 0 || sent.len() > recorded.len(),
        "shutdown returned with {missing} of {} recorded event(s) not uploaded: it did not wait \
         for the uploader to finish the queue (the runtime or its thread was left behind, or \
         dropped mid-batch, which cancels its tasks); return from shutdown only once the \
         uploader is done",
        recorded.len()
    );
    assert_eq!(
        sent, recorded,
        "telemetry uploaded the wrong events: each recorded event exactly once, in the order \
         recorded"
    );
}

#[test]
fn no_events_no_upload() {
    let uploads = on_ui_thread(|| {
        let server = Server::new(true);
        let telemetry = Telemetry::start(server.upload());
        telemetry.shutdown();
        server.uploads().len()
    });
    assert!(
        uploads == 0,
        "telemetry made {uploads} upload(s) when nothing was recorded: send a batch only when \
         there are events"
    );
}
