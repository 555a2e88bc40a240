//! Runs processes the way a grader must: each in its own process group, all under a wall-clock
//! limit enforced from outside, with bounded output.
//!
//! When a process outlives its limit its whole group gets SIGTERM, then SIGKILL after a short
//! grace; when it ends, whatever it left behind in its group is killed too, so no orphan
//! survives a grade. Output beyond a cap is counted but not kept, and a process that floods its
//! pipes (a print loop) is stopped early.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How often a running batch looks at its [`Cancel`] flag.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Lets another thread stop a batch: its process groups are killed and [`run_all`] returns
/// [`Cancelled`]. (The learner saved again: the running grade is stale.)
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The error of a cancelled batch.
#[derive(Debug)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// How long and how loud a process may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time from start to SIGTERM.
    pub time: Duration,
    /// Time between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Bytes of each stream kept for the report.
    pub kept_output: usize,
    /// Bytes of output (both streams) after which the process is stopped.
    pub flood: u64,
}

impl Limits {
    /// A compiler: plenty of time, and every line of its messages.
    pub fn compiler() -> Self {
        Self {
            time: Duration::from_secs(600),
            grace: Duration::from_millis(250),
            kept_output: 64 * 1024 * 1024,
            flood: 256 * 1024 * 1024,
        }
    }

    pub fn with_time(time: Duration) -> Self {
        Self {
            time,
            grace: Duration::from_millis(250),
            kept_output: 64 * 1024,
            flood: 8 * 1024 * 1024,
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal it did not get from us (a crash: SIGSEGV, SIGABRT...).
    Signaled(i32),
    /// Still running at its time limit; stopped.
    TimedOut,
    /// Printed more than the flood limit; stopped.
    Flooded,
}

/// What is left of one output stream.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub text: String,
    /// Bytes produced beyond what was kept.
    pub dropped: u64,
}

#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
    pub took: Duration,
}

enum Event {
    Exited(usize, ExitStatus),
    Flooded(usize),
}

struct Running {
    pid: Pid,
    started: Instant,
    terminated_at: Option<Instant>,
    flooded: bool,
    streams: Receiver<(bool, Captured)>,
}

/// Runs `commands`, at most `parallel` at a time, each under `limits`; results in order.
pub fn run_all(
    commands: Vec<Command>,
    limits: Limits,
    parallel: usize,
    cancel: &Cancel,
) -> Result<Vec<Finished>> {
    let total = commands.len();
    let mut pending = commands.into_iter().enumerate();
    let mut running: Vec<Option<Running>> = (0..total).map(|_| None).collect();
    let mut results: Vec<Option<Finished>> = (0..total).map(|_| None).collect();
    let (events, inbox) = mpsc::channel();
    let mut active = 0;
    let mut finished = 0;
    while finished < total {
        while active < parallel.max(1) {
            let Some((index, command)) = pending.next() else {
                break;
            };
            running[index] = Some(start(index, command, limits, &events)?);
            active += 1;
        }
        let next_deadline = running
            .iter()
            .flatten()
            .map(|r| deadline_of(r, limits))
            .min()
            .unwrap_or_else(|| Instant::now() + limits.time);
        let wait = next_deadline
            .saturating_duration_since(Instant::now())
            .min(CANCEL_POLL);
        match inbox.recv_timeout(wait) {
            Ok(Event::Exited(index, status)) => {
                let run = running[index].take().expect("a process exits once");
                // Whatever the process started and left behind dies with it.
                let _ = killpg(run.pid, Signal::SIGKILL);
                results[index] = Some(collect(run, status, limits));
                active -= 1;
                finished += 1;
            }
            Ok(Event::Flooded(index)) => {
                if let Some(run) = running[index].as_mut().filter(|r| !r.flooded) {
                    run.flooded = true;
                    let _ = killpg(run.pid, Signal::SIGKILL);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("we hold a sender"),
        }
        if cancel.is_cancelled() {
            for run in running.iter().flatten() {
                let _ = killpg(run.pid, Signal::SIGKILL);
            }
            bail!(Cancelled);
        }
        escalate(&mut running, limits);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every process finished"))
        .collect())
}

fn deadline_of(run: &Running, limits: Limits) -> Instant {
    match run.terminated_at {
        Some(at) => at + limits.grace,
        None => run.started + limits.time,
    }
}

/// SIGTERM to groups past their limit; SIGKILL to groups past their grace.
fn escalate(running: &mut [Option<Running>], limits: Limits) {
    let now = Instant::now();
    for run in running.iter_mut().flatten() {
        if deadline_of(run, limits) > now {
            continue;
        }
        if run.terminated_at.is_none() {
            run.terminated_at = Some(now);
            let _ = killpg(run.pid, Signal::SIGTERM);
        } else {
            let _ = killpg(run.pid, Signal::SIGKILL);
            // Check again a grace later, in case it still lingers.
            run.terminated_at = Some(now);
        }
    }
}

fn start(
    index: usize,
    mut command: Command,
    limits: Limits,
    events: &Sender<Event>,
) -> Result<Running> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child: Child = command
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let pid = Pid::from_raw(i32::try_from(child.id()).context("process id out of range")?);
    let written = Arc::new(AtomicU64::new(0));
    let reported = Arc::new(AtomicBool::new(false));
    let (stream_tx, streams) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    for (is_stdout, pipe) in [
        (true, Box::new(stdout) as Box<dyn Read + Send>),
        (false, Box::new(stderr)),
    ] {
        let reader = StreamReader {
            written: Arc::clone(&written),
            reported: Arc::clone(&reported),
            limits,
            index,
            events: events.clone(),
        };
        let stream_tx = stream_tx.clone();
        thread::spawn(move || {
            let _ = stream_tx.send((is_stdout, reader.drain(pipe)));
        });
    }
    let events = events.clone();
    thread::spawn(move || {
        if let Ok(status) = child.wait() {
            let _ = events.send(Event::Exited(index, status));
        }
    });
    Ok(Running {
        pid,
        started: Instant::now(),
        terminated_at: None,
        flooded: false,
        streams,
    })
}

struct StreamReader {
    written: Arc<AtomicU64>,
    reported: Arc<AtomicBool>,
    limits: Limits,
    index: usize,
    events: Sender<Event>,
}

impl StreamReader {
    /// Reads until the pipe closes, keeping the first bytes and counting the rest.
    fn drain(self, mut pipe: Box<dyn Read + Send>) -> Captured {
        let mut kept = Vec::new();
        let mut dropped = 0u64;
        let mut buffer = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let room = self.limits.kept_output.saturating_sub(kept.len());
            kept.extend_from_slice(&buffer[..n.min(room)]);
            dropped += (n - n.min(room)) as u64;
            let total = self.written.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if total > self.limits.flood && !self.reported.swap(true, Ordering::Relaxed) {
                let _ = self.events.send(Event::Flooded(self.index));
            }
        }
        Captured {
            text: String::from_utf8_lossy(&kept).into_owned(),
            dropped,
        }
    }
}

fn collect(run: Running, status: ExitStatus, limits: Limits) -> Finished {
    let ending = if run.flooded {
        Ending::Flooded
    } else if run.terminated_at.is_some() {
        Ending::TimedOut
    } else if let Some(code) = status.code() {
        Ending::Exited(code)
    } else {
        Ending::Signaled(status.signal().unwrap_or(0))
    };
    let mut stdout = Captured::default();
    let mut stderr = Captured::default();
    // The pipes close once the group is dead; a process that escaped the group (setsid) could
    // hold them open, so don't wait for it forever.
    let give_up = Instant::now() + limits.grace * 4;
    for _ in 0..2 {
        match run
            .streams
            .recv_timeout(give_up.saturating_duration_since(Instant::now()))
        {
            Ok((true, captured)) => stdout = captured,
            Ok((false, captured)) => stderr = captured,
            Err(_) => break,
        }
    }
    Finished {
        ending,
        stdout,
        stderr,
        took: run.started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    fn limits(ms: u64) -> Limits {
        Limits::with_time(Duration::from_millis(ms))
    }

    #[test]
    fn reports_exit_codes_and_output() {
        let done = run_all(
            vec![sh("echo out; echo err >&2; exit 3")],
            limits(20_000),
            1,
            &Cancel::default(),
        )
        .unwrap();
        assert_eq!(done[0].ending, Ending::Exited(3));
        assert_eq!(done[0].stdout.text, "out\n");
        assert_eq!(done[0].stderr.text, "err\n");
    }

    #[test]
    fn stops_a_hung_process_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survivor");
        // The child ignores SIGTERM: only SIGKILL to the group ends it.
        let script = format!(
            "trap '' TERM; (sleep 2; touch {}) & sleep 60",
            marker.display()
        );
        let done = run_all(vec![sh(&script)], limits(300), 1, &Cancel::default()).unwrap();
        assert_eq!(done[0].ending, Ending::TimedOut);
        assert!(done[0].took < Duration::from_secs(20));
        thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a process of the group survived the kill");
    }

    #[test]
    fn kills_what_a_finished_process_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("orphan");
        let script = format!("(sleep 2; touch {}) & exit 0", marker.display());
        let done = run_all(vec![sh(&script)], limits(20_000), 1, &Cancel::default()).unwrap();
        assert_eq!(done[0].ending, Ending::Exited(0));
        thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "an orphan outlived its test");
    }

    #[test]
    fn stops_a_print_loop_and_keeps_a_bounded_head() {
        let done = run_all(
            vec![sh("yes 'spam'")],
            limits(20_000),
            1,
            &Cancel::default(),
        )
        .unwrap();
        assert_eq!(done[0].ending, Ending::Flooded);
        assert_eq!(done[0].stdout.text.len(), 64 * 1024);
        assert!(done[0].stdout.dropped > 0);
    }

    #[test]
    fn a_cancelled_batch_kills_its_processes_at_once() {
        let cancel = Cancel::default();
        let trigger = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            trigger.cancel();
        });
        let started = Instant::now();
        let result = run_all(
            vec![sh("sleep 60"), sh("sleep 60")],
            limits(60_000),
            2,
            &cancel,
        );
        assert!(result.unwrap_err().downcast_ref::<Cancelled>().is_some());
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn reports_crashes_by_signal() {
        let done = run_all(
            vec![sh("kill -SEGV $$")],
            limits(20_000),
            1,
            &Cancel::default(),
        )
        .unwrap();
        assert_eq!(done[0].ending, Ending::Signaled(11));
    }

    #[test]
    fn keeps_results_in_order_when_run_in_parallel() {
        let commands = vec![sh("sleep 0.3; echo a"), sh("echo b"), sh("echo c")];
        let done = run_all(commands, limits(20_000), 2, &Cancel::default()).unwrap();
        let texts: Vec<_> = done.iter().map(|d| d.stdout.text.as_str()).collect();
        assert_eq!(texts, ["a\n", "b\n", "c\n"]);
    }
}
