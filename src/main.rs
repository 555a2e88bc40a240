//! asynclings: exercises in async and parallel Rust, graded by hidden tests.

mod atomic_file;
mod cli;
mod commands;
mod course;
mod exit;
mod grade;
mod interrupt;
mod progress;
mod render;
mod results;
mod seal;
mod supervise;
mod watch;

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
            match grade::execute::interrupted() {
                Some(_) => eprintln!(
                    "{} interrupted: every process the grade started was stopped",
                    console::style("asynclings:").cyan().bold()
                ),
                None => eprintln!("{} {error:#}", console::style("error:").red().bold()),
            }
            exit::for_error(&error)
        }
    }
}
