//! asynclings: exercises in async and parallel Rust, graded by hidden tests.

#[macro_use]
mod output;

mod atomic_file;
mod cli;
mod commands;
mod course;
mod exit;
mod grade;
mod interrupt;
mod invocation;
mod progress;
mod render;
mod results;
mod seal;
mod supervise;
mod untrusted;
mod watch;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A check's supervisor: asynclings re-executed, before any parsing.
    if let Some(status) = supervise::main_if_requested() {
        return status;
    }
    match cli::run(cli::Cli::parse()) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            // A closed stderr must not turn the error into a panic.
            let _ = match grade::execute::interrupted() {
                Some(_) => writeln!(
                    std::io::stderr(),
                    "{} interrupted: every process the grade started was stopped",
                    console::style("asynclings:").cyan().bold()
                ),
                None => writeln!(
                    std::io::stderr(),
                    "{} {error:#}",
                    console::style("error:").red().bold()
                ),
            };
            exit::for_error(&error)
        }
    }
}
