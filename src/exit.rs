//! Exit statuses, one per outcome a script may want to tell apart.

use std::fmt;
use std::process::ExitCode;

/// Everything graded passed.
pub const SUCCESS: u8 = 0;
/// Something was graded and did not pass (a check failed, it did not compile, it timed out).
pub const FAILED: u8 = 1;
/// The command line was wrong (unknown exercise, bad flag).
pub const USAGE: u8 = 2;
/// asynclings could not do its job (malformed info.toml, missing toolchain, I/O error).
pub const COULD_NOT_RUN: u8 = 3;

/// An error caused by what the user typed; exits with [`USAGE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit status for an error that ended a command: 128 + the signal's number when a
/// signal interrupted it, as shells do.
pub fn for_error(error: &anyhow::Error) -> ExitCode {
    if let Some(signal) = crate::grade::execute::interrupted() {
        ExitCode::from(u8::try_from(128 + signal).unwrap_or(COULD_NOT_RUN))
    } else if error.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(USAGE)
    } else {
        ExitCode::from(COULD_NOT_RUN)
    }
}
