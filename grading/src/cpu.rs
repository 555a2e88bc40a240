//! CPU time of a thread or of the whole process (Linux, from `/proc`), and figures for people.
//!
//! CPU time tells apart the two ways a check gets stuck: a thread that spins (a task waking
//! itself, a long loop) uses the CPU; a blocked or forgotten one does not. Where `/proc` is
//! missing (macOS), these return `None` and verdicts simply leave that part out.

use std::time::Duration;

/// Clock ticks per second of `/proc`'s CPU times (USER_HZ, 100 on every Linux).
const TICKS_PER_SECOND: u64 = 100;

/// A thread whose CPU time can be read from another thread.
#[derive(Clone, Copy, Debug)]
pub struct ThreadCpu {
    tid: u64,
}

impl ThreadCpu {
    /// The calling thread, where the OS tells.
    pub fn current() -> Option<Self> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        let tid = link.file_name()?.to_str()?.parse().ok()?;
        Some(Self { tid })
    }

    /// CPU time (user + system) the thread has used since it started.
    pub fn used(&self) -> Option<Duration> {
        cpu_of(&format!("/proc/self/task/{}/stat", self.tid))
    }

    /// Whether the thread is asleep in the kernel right now (waiting on a lock, a condition
    /// variable, a sleep, I/O), as opposed to running or waiting for a core. `None` where the
    /// OS does not tell.
    pub fn is_sleeping(&self) -> Option<bool> {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{}/stat", self.tid)).ok()?;
        let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
        Some(matches!(state, "S" | "D"))
    }

    /// How many times the thread has gone to sleep so far: its voluntary context switches,
    /// which the kernel counts each time the thread blocks. Two looks with the same count and
    /// the thread asleep in both: it did not wake up in between.
    pub fn voluntary_sleeps(&self) -> Option<u64> {
        let status = self.proc_file("status")?;
        let line = status
            .lines()
            .find(|line| line.starts_with("voluntary_ctxt_switches:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Whether the system call the thread sleeps in has a timeout: a futex wait with one
    /// (`park_timeout`, `Condvar::wait_timeout`, `recv_timeout`) or a sleep (`nanosleep`,
    /// `clock_nanosleep`). `None` where unknown (not asleep in a system call, another call,
    /// another architecture than x86-64 and AArch64).
    pub fn sleep_is_timed(&self) -> Option<bool> {
        #[cfg(target_arch = "x86_64")]
        const CALLS: (u64, [u64; 2]) = (202, [35, 230]);
        #[cfg(target_arch = "aarch64")]
        const CALLS: (u64, [u64; 2]) = (98, [101, 115]);
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        const CALLS: (u64, [u64; 2]) = (u64::MAX, [u64::MAX; 2]);
        let (futex, sleeps) = CALLS;
        let line = self.proc_file("syscall")?;
        let mut fields = line.split_whitespace();
        let call: u64 = fields.next()?.parse().ok()?;
        let args: Vec<u64> = fields
            .filter_map(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok())
            .collect();
        if sleeps.contains(&call) {
            return Some(true);
        }
        // futex(address, operation, value, timeout, ..): the plain and bitset waits.
        let operation = *args.get(1)? & 0x7f;
        (call == futex && matches!(operation, 0 | 9)).then(|| args.get(3).is_some_and(|t| *t != 0))
    }

    fn proc_file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(format!("/proc/self/task/{}/{name}", self.tid)).ok()
    }
}

/// Repeated looks at a thread's state: whether it was asleep in the kernel (blocked: a lock, a
/// sleep, I/O) or runnable (running, or waiting for a core). Unlike CPU time, this does not
/// depend on how loaded the machine is: a spinning thread is runnable in every look, however
/// little CPU it gets. Only the latest [`StateLooks::WINDOW`] looks count: what a stuck thread
/// does now, not how it started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateLooks {
    /// The latest looks, oldest first: `true` for asleep.
    latest: std::collections::VecDeque<bool>,
}

impl StateLooks {
    /// How many of the latest looks count.
    pub const WINDOW: usize = 20;

    /// Looks at `thread` once (nothing is counted where the OS does not tell).
    pub fn look(&mut self, thread: &ThreadCpu) {
        if let Some(asleep) = thread.is_sleeping() {
            self.record(asleep);
        }
    }

    /// Counts one look.
    pub fn record(&mut self, asleep: bool) {
        if self.latest.len() == Self::WINDOW {
            self.latest.pop_front();
        }
        self.latest.push_back(asleep);
    }

    /// `Some(true)` if the thread was asleep in at least four of five latest looks,
    /// `Some(false)` if it was runnable in as many, `None` with fewer than five looks or no
    /// clear answer.
    pub fn mostly_asleep(&self) -> Option<bool> {
        let looks = self.latest.len();
        let asleep = self.latest.iter().filter(|a| **a).count();
        if looks < 5 {
            None
        } else if asleep * 5 >= looks * 4 {
            Some(true)
        } else if (looks - asleep) * 5 >= looks * 4 {
            Some(false)
        } else {
            None
        }
    }
}

/// CPU time (user + system) used by the whole process so far, all threads together.
pub fn process_cpu() -> Option<Duration> {
    cpu_of("/proc/self/stat")
}

fn cpu_of(stat_file: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    // The command name (field 2) may contain spaces; fields after it are plain numbers.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime) are the 12th and 13th after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// A duration for a verdict: "840 ms" below a second, "2.00 s" from a second on (the same as
/// [`crate::units::format_duration`], which graders should use).
pub fn seconds(duration: Duration) -> String {
    crate::units::format_duration(duration)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Unit tests that spin take turns, so that each gets its share of the CPU.
    pub(crate) static SPINNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_thread_asleep_in_most_of_the_latest_looks_is_asleep() {
        let looks = |states: &[bool]| {
            let mut looks = StateLooks::default();
            for asleep in states {
                looks.record(*asleep);
            }
            looks.mostly_asleep()
        };
        assert_eq!(looks(&[true; 9]), Some(true));
        assert_eq!(looks(&[false; 9]), Some(false));
        assert_eq!(looks(&[true, false, true, false, true, false]), None);
        assert_eq!(looks(&[true, true]), None);
        // A slow start (runnable, waiting for a core), then stuck asleep: the latest looks count.
        let mut start_then_stuck = vec![false; 30];
        start_then_stuck.extend([true; 20]);
        assert_eq!(looks(&start_then_stuck), Some(true));
    }

    #[test]
    fn formats_durations_for_people() {
        assert_eq!(seconds(Duration::from_millis(840)), "840 ms");
        assert_eq!(seconds(Duration::from_millis(2000)), "2.00 s");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn reads_cpu_time_of_a_busy_thread() {
        let _turn = SPINNING.lock();
        let me = ThreadCpu::current().expect("/proc/thread-self");
        let before = me.used().unwrap();
        let until = std::time::Instant::now() + Duration::from_millis(300);
        while std::time::Instant::now() < until {
            std::hint::spin_loop();
        }
        assert!(me.used().unwrap() >= before);
        assert!(process_cpu().is_some());
    }
}
