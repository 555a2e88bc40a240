//! What a supervisor tells asynclings when its check is over: one JSON line on its report pipe.

use serde::{Deserialize, Serialize};

/// How the supervised test process ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ended {
    /// It exited on its own with this status.
    Exited(i32),
    /// A signal it did not get from its supervisor ended it (a crash: SIGSEGV, SIGABRT...).
    Signaled(i32),
    /// The supervisor stopped it because it was asked to (time limit, flood, cancel, asynclings
    /// quitting).
    Stopped,
    /// The processes of the check together held more resident memory than the limit, so the
    /// supervisor stopped them.
    OverMemory,
    /// The test could not be started (the error), so nothing of the learner's ran.
    NotStarted(String),
}

/// How the check's writes were confined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sandboxing {
    /// Landlock enforced, with this kernel ABI version (6 and later also confine signals).
    Landlock(u32),
    /// The kernel has no Landlock; writes were not confined. The reason, for the notice.
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub ended: Ended,
    /// The highest resident memory of the check's processes together, in bytes, as sampled.
    pub peak_memory: u64,
    /// Processes still running when the test ended (started by it and left behind, detached
    /// or not), all killed and reaped by the supervisor.
    pub leftovers: usize,
    pub sandboxing: Sandboxing,
}

impl Report {
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("a report always serializes");
        line.push('\n');
        line
    }

    /// The report in `bytes`, if they hold one.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        serde_json::from_str(text.lines().next()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_survives_the_pipe() {
        let report = Report {
            ended: Ended::Exited(101),
            peak_memory: 12 << 20,
            leftovers: 2,
            sandboxing: Sandboxing::Landlock(7),
        };
        assert_eq!(Report::parse(report.to_line().as_bytes()), Some(report));
        let failed = Report {
            ended: Ended::NotStarted("no such file".into()),
            peak_memory: 0,
            leftovers: 0,
            sandboxing: Sandboxing::Unavailable("Linux 5.4".into()),
        };
        assert_eq!(Report::parse(failed.to_line().as_bytes()), Some(failed));
        assert_eq!(Report::parse(b""), None);
        assert_eq!(Report::parse(b"garbage\n"), None);
    }
}
