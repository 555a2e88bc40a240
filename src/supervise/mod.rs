//! The per-check supervisor: asynclings re-executed as `asynclings __supervise SPEC`, one per
//! check, between asynclings and the test process.
//!
//! It starts the test confined ([`confine`]), as a child subreaper so that nothing the test
//! starts can detach from it; it samples the resident memory of every descendant and stops
//! them all past the limit; when the test ends, or asynclings asks it to stop (SIGTERM, also
//! sent by the kernel when asynclings dies: parent-death signal), it kills and reaps every
//! descendant that is left, however it detached. Then it writes a [`Report`] on file
//! descriptor 3 and exits. The test's stdout and stderr are asynclings' pipes, untouched.
//!
//! The test cannot reach the supervisor: it runs in a Landlock domain the supervisor is not in,
//! so it can neither signal nor trace it (which also keeps it from the report pipe through
//! `/proc`).

mod confine;
mod report;
mod tree;

use std::fs::File;
use std::io::Write as _;
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use confine::Confinement;
pub use report::{Ended, Report};

/// The hidden first argument that turns asynclings into a supervisor.
pub const SUBCOMMAND: &str = "__supervise";
/// The supervisor's report pipe, set up by asynclings before exec.
pub const REPORT_FD: i32 = 3;
/// How often memory is sampled while nothing else happens.
const TICK: Duration = Duration::from_millis(10);

/// What to run and under which limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub dir: PathBuf,
    /// Set on top of the inherited environment.
    pub env: Vec<(String, String)>,
    /// Folders (and single files, such as `/dev/null`) the test may write; nothing else.
    pub writable: Vec<PathBuf>,
    /// Resident memory of all the test's processes together, in bytes.
    pub memory_limit: u64,
    /// Address space of each process, in bytes (a backstop for allocations too fast to sample).
    pub address_space: u64,
}

/// Whether checks can be confined on this kernel; why not, in one phrase, otherwise.
pub fn sandbox_available() -> Result<(), String> {
    if confine::kernel_abi() == 0 {
        Err("this kernel has no Landlock (Linux 5.13 or later, with Landlock enabled)".into())
    } else {
        Ok(())
    }
}

/// The command that supervises `spec`: this executable again, with the hidden subcommand.
/// The caller sets up [`REPORT_FD`] and the parent-death signal.
pub fn command(spec: &Spec) -> Result<Command> {
    // Through /proc, the running executable itself: still there when its file was replaced
    // (a reinstall while `watch` runs) or deleted.
    let mut command = Command::new("/proc/self/exe");
    command
        .arg(SUBCOMMAND)
        .arg(serde_json::to_string(spec).context("cannot describe the check")?);
    Ok(command)
}

/// Runs the supervisor when asynclings was started as one; `None` otherwise. Called first
/// thing in `main`, before the command line is parsed, so a supervisor costs about a
/// millisecond of startup.
pub fn main_if_requested() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != SUBCOMMAND {
        return None;
    }
    let spec = args
        .next()
        .and_then(|a| a.into_string().ok())
        .and_then(|a| serde_json::from_str::<Spec>(&a).ok());
    let Some(spec) = spec else {
        eprintln!("asynclings: `{SUBCOMMAND}` is used by asynclings itself, not by people");
        return Some(ExitCode::from(2));
    };
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    if unsafe { libc::fcntl(REPORT_FD, libc::F_GETFD) } == -1 {
        eprintln!("asynclings: `{SUBCOMMAND}` needs its report pipe on descriptor {REPORT_FD}");
        return Some(ExitCode::from(2));
    }
    // SAFETY: descriptor 3 is open (checked above) and nothing else in this process owns it.
    let mut pipe = unsafe { File::from_raw_fd(REPORT_FD) };
    // The test must not inherit the report pipe.
    // SAFETY: F_SETFD on a descriptor we own.
    unsafe { libc::fcntl(REPORT_FD, libc::F_SETFD, libc::FD_CLOEXEC) };
    let report = supervise(&spec);
    let _ = pipe.write_all(report.to_line().as_bytes());
    Some(ExitCode::SUCCESS)
}

/// Where a supervised test stands.
#[derive(Default)]
struct Watch {
    /// The test's own wait status, once it ended.
    status: Option<libc::c_int>,
    stop_requested: bool,
    over_memory: bool,
    peak_memory: u64,
}

fn supervise(spec: &Spec) -> Report {
    let confinement = Confinement::prepare(&spec.writable, spec.address_space);
    let sandboxing = confinement.sandboxing.clone();
    let waited_for = block_signals();
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.dir)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    // SAFETY: `apply` makes raw system calls only (see confine.rs).
    unsafe { command.pre_exec(move || confinement.apply()) };
    let test = match command.spawn() {
        Ok(child) => child.id() as libc::pid_t,
        Err(error) => {
            return Report {
                ended: Ended::NotStarted(format!(
                    "cannot start {}: {error}",
                    spec.program.display()
                )),
                peak_memory: 0,
                leftovers: 0,
                sandboxing,
            };
        }
    };
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let mut watch = Watch::default();
    loop {
        match wait_for_signal(&waited_for, TICK) {
            Some(libc::SIGCHLD) | None => {}
            Some(_) => watch.stop_requested = true,
        }
        reap(test, &mut watch, false);
        let processes = tree::descendants(me);
        let memory = tree::resident_bytes(&processes);
        watch.peak_memory = watch.peak_memory.max(memory);
        if memory > spec.memory_limit {
            watch.over_memory = true;
        }
        if watch.status.is_some() || watch.stop_requested || watch.over_memory {
            break;
        }
    }
    let leftovers = stop_everything(me, test, &mut watch);
    Report {
        ended: ending(&watch),
        peak_memory: watch.peak_memory,
        leftovers,
        sandboxing,
    }
}

/// How the test ended, from what the supervisor saw.
fn ending(watch: &Watch) -> Ended {
    if watch.over_memory {
        return Ended::OverMemory;
    }
    match watch.status {
        Some(status) if libc::WIFEXITED(status) => Ended::Exited(libc::WEXITSTATUS(status)),
        Some(status) if libc::WIFSIGNALED(status) && !watch.stop_requested => {
            Ended::Signaled(libc::WTERMSIG(status))
        }
        _ => Ended::Stopped,
    }
}

/// Kills every descendant and reaps them all (orphans keep arriving while their parents die,
/// so until there is no child left). Returns how many processes besides the test were left.
fn stop_everything(me: libc::pid_t, test: libc::pid_t, watch: &mut Watch) -> usize {
    let mut leftovers = std::collections::HashSet::new();
    loop {
        let processes = tree::descendants(me);
        leftovers.extend(processes.iter().copied().filter(|p| *p != test));
        tree::kill_all(&processes);
        if !reap(test, watch, true) {
            return leftovers.len();
        }
    }
}

/// Collects ended children (all available ones, or, with `block`, at least one); records the
/// test's wait status. False when there are no children left at all.
fn reap(test: libc::pid_t, watch: &mut Watch, block: bool) -> bool {
    let mut flags = if block { 0 } else { libc::WNOHANG };
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into a local.
        let pid = unsafe { libc::waitpid(-1, &mut status, flags) };
        if pid == -1 {
            return std::io::Error::last_os_error().raw_os_error() != Some(libc::ECHILD);
        }
        if pid == 0 {
            return true;
        }
        if pid == test && watch.status.is_none() {
            watch.status = Some(status);
        }
        flags = libc::WNOHANG;
    }
}

/// Blocks the signals the supervisor waits for, so they queue for [`wait_for_signal`]
/// instead of running handlers. Returns that set.
fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset operations on a local set; the supervisor is single-threaded.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// The next of `set`'s signals, or `None` after `timeout`.
fn wait_for_signal(set: &libc::sigset_t, timeout: Duration) -> Option<libc::c_int> {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: sigtimedwait reads `set` and `timeout` and may write the (unused) info.
    let signal = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &timeout) };
    (signal > 0).then_some(signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_exited(code: i32) -> libc::c_int {
        code << 8
    }

    #[test]
    fn the_ending_says_who_stopped_the_test() {
        let mut watch = Watch {
            status: Some(status_exited(101)),
            ..Watch::default()
        };
        assert_eq!(ending(&watch), Ended::Exited(101));
        watch.status = Some(libc::SIGSEGV);
        assert_eq!(ending(&watch), Ended::Signaled(libc::SIGSEGV));
        // A SIGKILL from the supervisor itself is not a crash.
        watch.status = Some(libc::SIGKILL);
        watch.stop_requested = true;
        assert_eq!(ending(&watch), Ended::Stopped);
        watch.over_memory = true;
        assert_eq!(ending(&watch), Ended::OverMemory);
        // An exit that came first stays an exit, even if a stop was asked for meanwhile.
        let exited = Watch {
            status: Some(status_exited(0)),
            stop_requested: true,
            ..Watch::default()
        };
        assert_eq!(ending(&exited), Ended::Exited(0));
    }
}
