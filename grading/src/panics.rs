//! Panics: their messages, the ones tokio raises when async code blocks, and panics inside
//! spawned tasks that nobody would otherwise notice.
//!
//! A task spawned with `tokio::spawn` that panics does not fail anything by itself: tokio
//! catches the panic and keeps it in the task's `JoinHandle`. A learner's code that never awaits
//! that handle loses the panic, and a check may pass or fail for the wrong reason.
//! [`TaskPanics`] records every panic raised inside a tokio task on the threads it watches, so
//! a check can fail with the task's own message.
//!
//! The same hook keeps repeated panics quiet: a panic with the message and location of an
//! earlier one is counted, not printed (a loop that catches a panic on every round would
//! otherwise print megabytes and drown the check's own verdict), and [`flush_repeats`] prints
//! one line with the count.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

/// The message of a panic payload (`panic!("...")` carries a `&str` or a `String`), or `""`.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("")
}

/// A verdict for the panics tokio raises when async code tries to block, if `message` is one.
///
/// Graders that want exercise-specific words match the message themselves; this is the
/// general verdict.
pub fn explain_tokio_panic(message: &str) -> Option<&'static str> {
    if message.contains("runtime from within a runtime") {
        Some(
            "started a runtime's block_on inside async code, and tokio panics on that: you are \
             already in async code, so .await the future instead of blocking on it",
        )
    } else if message.contains("Cannot block the current thread from within a runtime") {
        // tokio's blocking bridges (blocking_recv, blocking_send, blocking_lock, a
        // futures-aware block_on of tokio's own) refuse to run on a thread driving tasks.
        Some(
            "waited synchronously (a block_on, or a blocking_recv / blocking_send / \
             blocking_lock) inside async code, and tokio panics on that: it would block the \
             thread that drives the tasks; .await the future instead, and keep synchronous waits \
             to spawn_blocking or a plain thread",
        )
    } else if message.contains("only when running on the multi-threaded runtime") {
        Some(
            "called tokio::task::block_in_place, which panics on a current-thread runtime; on a \
             multi-thread one it still blocks a worker thread: .await a future (tokio::time::sleep, \
             a channel) or move the blocking work to spawn_blocking",
        )
    } else if message.contains("no reactor running") {
        Some(
            "used a tokio timer or socket outside a tokio runtime: create it inside the runtime \
             (in async code, or after entering the runtime)",
        )
    } else {
        None
    }
}

/// One panic raised inside a tokio task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPanic {
    pub message: String,
    /// `file:line` where it panicked, if known.
    pub location: Option<String>,
}

impl std::fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.message)?;
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        Ok(())
    }
}

type Collector = Arc<Mutex<Vec<TaskPanic>>>;

thread_local! {
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Panics seen so far: (message, location) and how many repeats were not printed.
static SEEN: Mutex<Vec<(String, String, usize)>> = Mutex::new(Vec::new());

/// Installs (once per process) a panic hook that records panics inside tokio tasks on watched
/// threads, then runs the hook that was there before (which prints the panic as usual), unless
/// the same panic was printed before: repeats are only counted (see [`flush_repeats`]).
pub(crate) fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A thread a watchdog gave up on (a loop that catches its own panics, say) has its
            // verdict already: what it does next is noise.
            if crate::guard::this_thread_is_abandoned() {
                return;
            }
            if tokio::task::try_id().is_some() {
                let _ = COLLECTOR.try_with(|collector| {
                    if let Ok(collector) = collector.try_borrow()
                        && let Some(collector) = collector.as_ref()
                    {
                        let panic = TaskPanic {
                            message: panic_message(info.payload()).to_owned(),
                            location: info
                                .location()
                                .map(|l| format!("{}:{}", l.file(), l.line())),
                        };
                        if let Ok(mut panics) = collector.lock() {
                            panics.push(panic);
                        }
                    }
                });
            }
            let message = panic_message(info.payload()).to_owned();
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            if let Ok(mut seen) = SEEN.lock() {
                if let Some(earlier) = seen
                    .iter_mut()
                    .find(|(m, l, _)| *m == message && *l == location)
                {
                    earlier.2 += 1;
                    return;
                }
                seen.push((message.clone(), location.clone(), 0));
            }
            if wants_backtraces() {
                previous(info);
            } else {
                print_without_backtrace(&message, &location);
            }
        }));
    });
}

/// Whether `RUST_BACKTRACE` asks for backtraces (asynclings sets it from
/// `ASYNCLINGS_BACKTRACE`, "0" by default): then the standard hook prints, backtrace and all.
fn wants_backtraces() -> bool {
    std::env::var("RUST_BACKTRACE").is_ok_and(|value| value != "0")
}

/// Prints a panic in the standard hook's format, without resolving a backtrace (which can take
/// long enough on a loaded machine to stall a runtime for no reason).
fn print_without_backtrace(message: &str, location: &str) {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let message = if message.is_empty() {
        "Box<dyn Any>"
    } else {
        message
    };
    // One write, so that panics of several threads do not interleave line by line; through
    // eprint!, so that a test harness capturing output captures it.
    eprint!(
        "\nthread '{name}' panicked at {location}:\n{message}\nnote: run with \
         `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
    );
}

/// Prints one line per panic that repeated since the last call: "(the panic at src/x.rs:3:9,
/// "…", happened 4211 more times; repeats are not printed)".
pub fn flush_repeats() {
    let Ok(mut seen) = SEEN.lock() else { return };
    for (message, location, repeats) in seen.iter_mut() {
        if *repeats > 0 {
            let first_line = message.lines().next().unwrap_or_default();
            eprintln!(
                "(the panic at {location}, \"{first_line}\", happened {repeats} more time(s); \
                 repeats are not printed)"
            );
            *repeats = 0;
        }
    }
}

/// Records the panics of tokio tasks that run on the threads it watches.
///
/// [`crate::runtime::Run`] watches its runtime's threads for you. In a `#[tokio::test]`
/// (current-thread, the default flavour), watch the test's thread:
///
/// ```
/// # use asynclings_grading::panics::TaskPanics;
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// let panics = TaskPanics::new();
/// let _watching = panics.watch_this_thread();
/// let _forgotten = tokio::spawn(async { panic!("the courier fell over") });
/// tokio::task::yield_now().await;
/// assert!(panics.check().unwrap_err().contains("the courier fell over"));
/// # });
/// ```
#[derive(Clone, Default)]
pub struct TaskPanics {
    panics: Collector,
}

/// Stops watching a thread when dropped.
pub struct Watching {
    previous: Option<Collector>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = COLLECTOR.try_with(|c| *c.borrow_mut() = previous);
    }
}

impl TaskPanics {
    pub fn new() -> Self {
        install_hook();
        Self::default()
    }

    /// Records panics of tasks polled on the current thread until the guard is dropped.
    pub fn watch_this_thread(&self) -> Watching {
        install_hook();
        let previous = COLLECTOR.with(|c| c.borrow_mut().replace(Arc::clone(&self.panics)));
        Watching { previous }
    }

    /// A closure for `tokio::runtime::Builder::on_thread_start`: watches every thread of a
    /// multi-thread runtime (workers and the blocking pool).
    pub fn thread_start_hook(&self) -> impl Fn() + Send + Sync + 'static {
        install_hook();
        let panics = Arc::clone(&self.panics);
        move || COLLECTOR.with(|c| *c.borrow_mut() = Some(Arc::clone(&panics)))
    }

    /// The task panics recorded so far.
    pub fn recorded(&self) -> Vec<TaskPanic> {
        self.panics.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Forgets the panics recorded so far (a grader that expected them).
    pub fn clear(&self) {
        if let Ok(mut panics) = self.panics.lock() {
            panics.clear();
        }
    }

    /// `Err(verdict)` naming the first task panic, if any task panicked.
    pub fn check(&self) -> Result<(), String> {
        let panics = self.recorded();
        match panics.as_slice() {
            [] => Ok(()),
            [first, rest @ ..] => {
                let more = if rest.is_empty() {
                    String::new()
                } else {
                    format!(" (and {} more task panic(s))", rest.len())
                };
                Err(format!(
                    "a spawned task panicked: {first}{more}; tokio keeps a task's panic in its \
                     JoinHandle, so nothing noticed it: fix the panic, and await the JoinHandle \
                     of every task whose work matters"
                ))
            }
        }
    }

    /// Panics with [`TaskPanics::check`]'s verdict if any task panicked.
    pub fn assert_none(&self) {
        if let Err(verdict) = self.check() {
            panic!("{verdict}");
        }
    }
}
