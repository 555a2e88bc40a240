//! Runs processes the way a grader must: each in its own process group, all under a wall-clock
//! limit enforced from outside, with bounded output, and none outliving asynclings.
//!
//! Two kinds of job. A *plain* process (the compiler) is killed with its process group. A
//! *supervised* check runs under its own supervisor (`crate::supervise`), which confines it,
//! watches its memory, and kills every process it started however it detached; asynclings asks
//! the supervisor to stop (SIGTERM) and kills the group only as a backstop. Both get a
//! parent-death signal, so they die with asynclings even when it is SIGKILLed.
//!
//! Output: the head and tail of each stream are kept ([`Capture`]), stderr is scanned for
//! panics as it streams, and a process that prints more than the flood limit is stopped.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::capture::{Capture, Captured, Lines};
use super::panics::{Panics, Scanner};
use crate::supervise::{self, Ended, Report, Spec};

/// How often a running batch looks at its [`Cancel`] flag.
const CANCEL_POLL: Duration = Duration::from_millis(20);
/// The longest line the panic scanner looks at.
const SCANNED_LINE: usize = 8 * 1024;

/// Set (to the signal's number) when SIGINT, SIGTERM or SIGHUP asks asynclings to quit: every
/// batch in flight then stops as if cancelled.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// Marks the whole process as interrupted by `signal` (see [`crate::interrupt`]).
pub fn interrupt(signal: i32) {
    INTERRUPTED.store(signal, Ordering::SeqCst);
}

/// The signal that interrupted asynclings, if one did.
pub fn interrupted() -> Option<i32> {
    Some(INTERRUPTED.load(Ordering::SeqCst)).filter(|s| *s != 0)
}

/// Lets another thread stop a batch: its processes are stopped and [`run_all`] returns
/// [`Cancelled`]. (The learner saved again: the running grade is stale.)
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) || interrupted().is_some()
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
    /// Wall-clock time from start to the request to stop.
    pub time: Duration,
    /// Time between the request to stop and SIGKILL.
    pub grace: Duration,
    /// Bytes kept from the start of each stream.
    pub head: usize,
    /// Bytes kept from the end of each stream.
    pub tail: usize,
    /// Bytes of output (both streams) after which the process is stopped.
    pub flood: u64,
}

impl Limits {
    /// A compiler: every line of its messages, within `time`.
    pub fn compiler(time: Duration) -> Self {
        Self {
            time,
            grace: Duration::from_millis(250),
            head: 64 * 1024 * 1024,
            tail: 0,
            flood: 256 * 1024 * 1024,
        }
    }

    /// A check: 32 KiB from each end of each stream.
    pub fn with_time(time: Duration) -> Self {
        Self {
            time,
            grace: Duration::from_millis(250),
            head: 32 * 1024,
            tail: 32 * 1024,
            flood: 8 * 1024 * 1024,
        }
    }
}

/// One process to run.
pub enum Job {
    /// Run as is (in its own process group), killed with its group.
    Plain(Command),
    /// Run under a supervisor.
    Supervised(Spec),
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal it did not get from us (a crash: SIGSEGV, SIGABRT...).
    Signaled(i32),
    /// Still running at its time limit; stopped.
    TimedOut,
    /// Printed more than the flood limit; stopped.
    Flooded,
    /// Its processes together used more memory than allowed; stopped by the supervisor.
    OverMemory,
    /// Its supervisor ended without a report (killed by this signal; 0 if it exited), taking
    /// the check with it.
    SupervisorLost(i32),
    /// Could not be started at all (the reason).
    NotStarted(String),
}

#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
    /// Every panic printed on stderr, including the ones outside the kept head and tail.
    pub panics: Panics,
    pub took: Duration,
}

enum Event {
    Exited(usize, ExitStatus),
    Flooded(usize),
}

struct Running {
    pid: i32,
    supervised: bool,
    started: Instant,
    /// When we asked it to stop (time limit or flood); SIGKILL follows after the grace.
    stopping_since: Option<Instant>,
    timed_out: bool,
    flooded: bool,
    streams: Receiver<Stream>,
    report: Option<OwnedFd>,
}

enum Stream {
    Stdout(Captured),
    Stderr(Captured, Panics),
}

/// Runs `jobs`, at most `parallel` at a time, each under `limits`; results in order.
pub fn run_all(
    jobs: Vec<Job>,
    limits: Limits,
    parallel: usize,
    cancel: &Cancel,
) -> Result<Vec<Finished>> {
    let total = jobs.len();
    let mut pending = jobs.into_iter().enumerate();
    let mut running: Vec<Option<Running>> = (0..total).map(|_| None).collect();
    let mut results: Vec<Option<Finished>> = (0..total).map(|_| None).collect();
    let (events, inbox) = mpsc::channel();
    let mut active = 0;
    let mut finished = 0;
    while finished < total {
        while active < parallel.max(1) && !cancel.is_cancelled() {
            let Some((index, job)) = pending.next() else {
                break;
            };
            match start(index, job, limits, &events) {
                Ok(run) => running[index] = Some(run),
                Err(error) => {
                    stop_all(&mut running, &inbox, limits);
                    return Err(error);
                }
            }
            active += 1;
        }
        if cancel.is_cancelled() {
            stop_all(&mut running, &inbox, limits);
            bail!(Cancelled);
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
                // Whatever the process left behind in its group dies with it.
                kill_group(run.pid, libc::SIGKILL);
                results[index] = Some(collect(run, status, limits));
                active -= 1;
                finished += 1;
            }
            Ok(Event::Flooded(index)) => {
                if let Some(run) = running[index].as_mut().filter(|r| !r.flooded) {
                    run.flooded = true;
                    request_stop(run);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("we hold a sender"),
        }
        escalate(&mut running, limits);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every process finished"))
        .collect())
}

fn deadline_of(run: &Running, limits: Limits) -> Instant {
    match run.stopping_since {
        Some(at) => at + limits.grace,
        None => run.started + limits.time,
    }
}

/// Asks a supervisor to stop its check (it kills everything the check started); a plain
/// process's group gets SIGTERM.
fn request_stop(run: &mut Running) {
    run.stopping_since.get_or_insert_with(Instant::now);
    if run.supervised {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(run.pid, libc::SIGTERM) };
    } else {
        kill_group(run.pid, libc::SIGTERM);
    }
}

fn kill_group(pid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions.
    unsafe { libc::killpg(pid, signal) };
}

/// Stop requests to processes past their limit; SIGKILL to groups past their grace.
fn escalate(running: &mut [Option<Running>], limits: Limits) {
    let now = Instant::now();
    for run in running.iter_mut().flatten() {
        if deadline_of(run, limits) > now {
            continue;
        }
        if run.stopping_since.is_none() {
            run.timed_out = true;
            request_stop(run);
        } else {
            kill_group(run.pid, libc::SIGKILL);
            // Check again a grace later, in case it still lingers.
            run.stopping_since = Some(now);
        }
    }
}

/// Stops everything still running: supervisors get a grace to kill and reap what their checks
/// started, then every group is killed.
fn stop_all(running: &mut [Option<Running>], inbox: &Receiver<Event>, limits: Limits) {
    for run in running.iter_mut().flatten() {
        request_stop(run);
    }
    let give_up = Instant::now() + limits.grace;
    while running.iter().any(Option::is_some) {
        match inbox.recv_timeout(give_up.saturating_duration_since(Instant::now())) {
            Ok(Event::Exited(index, _)) => {
                if let Some(run) = running[index].take() {
                    kill_group(run.pid, libc::SIGKILL);
                }
            }
            Ok(Event::Flooded(_)) => {}
            Err(_) => break,
        }
    }
    for run in running.iter_mut().filter_map(Option::take) {
        kill_group(run.pid, libc::SIGKILL);
    }
}

fn start(index: usize, job: Job, limits: Limits, events: &Sender<Event>) -> Result<Running> {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let (mut command, report, supervised) = match job {
        Job::Plain(mut command) => {
            // SAFETY: the hook makes raw system calls only.
            unsafe { command.pre_exec(move || die_with(parent, libc::SIGKILL)) };
            (command, None, false)
        }
        Job::Supervised(spec) => {
            let mut command = supervise::command(&spec)?;
            let (read, write) = pipe().context("cannot create a pipe for a supervisor")?;
            let write_fd = write.as_raw_fd();
            // SAFETY: the hook makes raw system calls only. The supervisor asks for SIGTERM
            // at its parent's death: it then stops its check like any other stop request.
            unsafe {
                command.pre_exec(move || {
                    onto_report_fd(write_fd)?;
                    die_with(parent, libc::SIGTERM)
                })
            };
            // The write end must stay open until spawn; it is closed when `write` drops.
            (command, Some((read, write)), true)
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child: Child = command
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let report = report.map(|(read, write)| {
        drop(write);
        read
    });
    let pid = i32::try_from(child.id()).context("process id out of range")?;
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
            let _ = stream_tx.send(reader.drain(pipe, is_stdout));
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
        supervised,
        started: Instant::now(),
        stopping_since: None,
        timed_out: false,
        flooded: false,
        streams,
        report,
    })
}

/// In a forked child: die with `signal` when the thread that started us ends (asynclings quit,
/// even by SIGKILL), and do not start at all if that already happened.
pub fn die_with(parent: libc::pid_t, signal: libc::c_int) -> std::io::Result<()> {
    // SAFETY: prctl and getppid are plain system calls.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, signal, 0, 0, 0) == -1 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

/// In a forked child: puts the report pipe on [`supervise::REPORT_FD`], inheritable.
fn onto_report_fd(fd: RawFd) -> std::io::Result<()> {
    let target = supervise::REPORT_FD;
    // SAFETY: dup2 and fcntl on descriptors this process holds.
    let result = unsafe {
        if fd == target {
            libc::fcntl(fd, libc::F_SETFD, 0)
        } else {
            libc::dup2(fd, target)
        }
    };
    if result == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A pipe whose ends are closed on exec (only the supervisor gets the write end, on purpose).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

struct StreamReader {
    written: Arc<AtomicU64>,
    reported: Arc<AtomicBool>,
    limits: Limits,
    index: usize,
    events: Sender<Event>,
}

impl StreamReader {
    /// Reads until the pipe closes, keeping head and tail; stderr is scanned for panics.
    fn drain(self, mut pipe: Box<dyn Read + Send>, is_stdout: bool) -> Stream {
        let mut capture = Capture::new(self.limits.head, self.limits.tail);
        let mut lines = Lines::new(SCANNED_LINE);
        let mut scanner = Scanner::new();
        let mut buffer = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            capture.push(&buffer[..n]);
            if !is_stdout {
                lines.push(&buffer[..n], &mut |line| scanner.line(line));
            }
            let total = self.written.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if total > self.limits.flood && !self.reported.swap(true, Ordering::Relaxed) {
                let _ = self.events.send(Event::Flooded(self.index));
            }
        }
        if is_stdout {
            Stream::Stdout(capture.finish())
        } else {
            lines.finish(&mut |line| scanner.line(line));
            Stream::Stderr(capture.finish(), scanner.finish())
        }
    }
}

fn collect(run: Running, status: ExitStatus, limits: Limits) -> Finished {
    let report = run.report.as_ref().and_then(read_report);
    let ending = if run.flooded {
        Ending::Flooded
    } else if run.timed_out {
        Ending::TimedOut
    } else if run.supervised {
        supervised_ending(report.as_ref(), status)
    } else if let Some(code) = status.code() {
        Ending::Exited(code)
    } else {
        Ending::Signaled(status.signal().unwrap_or(0))
    };
    let mut stdout = Captured::default();
    let mut stderr = Captured::default();
    let mut panics = Panics::default();
    // The pipes close once every process holding them is dead. A supervisor sees to that; a
    // plain process's detached child could hold them open, so don't wait for it forever.
    let give_up = Instant::now() + limits.grace * 4;
    for _ in 0..2 {
        match run
            .streams
            .recv_timeout(give_up.saturating_duration_since(Instant::now()))
        {
            Ok(Stream::Stdout(captured)) => stdout = captured,
            Ok(Stream::Stderr(captured, found)) => {
                stderr = captured;
                panics = found;
            }
            Err(_) => break,
        }
    }
    Finished {
        ending,
        stdout,
        stderr,
        panics,
        took: run.started.elapsed(),
    }
}

fn supervised_ending(report: Option<&Report>, status: ExitStatus) -> Ending {
    match report.map(|r| &r.ended) {
        Some(Ended::Exited(code)) => Ending::Exited(*code),
        Some(Ended::Signaled(signal)) => Ending::Signaled(*signal),
        Some(Ended::OverMemory) => Ending::OverMemory,
        // Stopped without our asking: the supervisor's parent-death signal, or a signal from
        // elsewhere.
        Some(Ended::Stopped) => Ending::SupervisorLost(libc::SIGTERM),
        Some(Ended::NotStarted(reason)) => Ending::NotStarted(reason.clone()),
        None => Ending::SupervisorLost(status.signal().unwrap_or(0)),
    }
}

/// The report a supervisor wrote, read without blocking (it has exited; anything it did not
/// write by then never comes).
fn read_report(fd: &OwnedFd) -> Option<Report> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut file = std::fs::File::from(fd.try_clone().ok()?);
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    while bytes.len() < 64 * 1024 {
        match file.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
    Report::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Job {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Job::Plain(command)
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
        assert_eq!(done[0].stdout.text(), "out\n");
        assert_eq!(done[0].stderr.text(), "err\n");
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
    fn stops_a_print_loop_and_keeps_a_bounded_head_and_tail() {
        let done = run_all(
            vec![sh("yes 'spam'")],
            limits(20_000),
            1,
            &Cancel::default(),
        )
        .unwrap();
        assert_eq!(done[0].ending, Ending::Flooded);
        assert_eq!(done[0].stdout.head.len(), 32 * 1024);
        assert!(done[0].stdout.tail.len() <= 32 * 1024);
        assert!(done[0].stdout.dropped > 0);
    }

    #[test]
    fn finds_a_panic_printed_after_a_flood_of_output() {
        let script = "i=0; while [ $i -lt 20000 ]; do echo \"debug line $i\" >&2; i=$((i+1)); done; \
                      printf \"thread 't' (1) panicked at x.rs:1:1:\\nthe real verdict\\n\" >&2; exit 101";
        let done = run_all(vec![sh(script)], limits(60_000), 1, &Cancel::default()).unwrap();
        assert_eq!(done[0].ending, Ending::Exited(101));
        assert!(done[0].stderr.dropped > 0);
        assert_eq!(
            done[0].panics.message("t").as_deref(),
            Some("the real verdict")
        );
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
        let texts: Vec<_> = done.iter().map(|d| d.stdout.text()).collect();
        assert_eq!(texts, ["a\n", "b\n", "c\n"]);
    }
}
