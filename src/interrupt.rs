//! Ctrl-C, SIGTERM and SIGHUP for the commands that grade (`run`, `verify`, `dev check`): every
//! batch in flight stops as if cancelled, its supervisors kill everything the checks started,
//! and asynclings exits with 128 + the signal's number. (`watch` turns the same signals into
//! its own Quit event.)

use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::grade::execute;

/// How long the grades in flight get to stop their processes before asynclings exits anyway
/// (a step that does not look at its cancel flag, such as building the dependencies).
const GRACE: Duration = Duration::from_secs(3);

/// Handles the signals from now on.
pub fn install() -> Result<()> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot install signal handlers")?;
    thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            execute::interrupt(signal);
            thread::sleep(GRACE);
            // Every process asynclings started has a parent-death signal: they go too.
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
