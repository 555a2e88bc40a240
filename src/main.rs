//! asynclings: exercises in async and parallel Rust, graded by hidden tests.

mod atomic_file;
mod cli;
mod commands;
mod course;
mod exit;
mod grade;
mod invocation;
mod progress;
mod render;
mod results;
mod seal;
mod watch;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("{} {error:#}", console::style("error:").red().bold());
            exit::for_error(&error)
        }
    }
}
