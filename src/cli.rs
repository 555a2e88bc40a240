//! The command line.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands::{self, Session};
use crate::course::Course;
use crate::exit;
use crate::results;

#[derive(Parser)]
#[command(
    name = "asynclings",
    version,
    about = "Small exercises in async and parallel Rust (tokio, futures, rayon), graded by hidden tests that explain what went wrong",
    after_help = "Exit status: 0 all graded passed, 1 something graded failed, 2 usage error, 3 could not run."
)]
pub struct Cli {
    /// The course folder (default: the nearest folder upwards that holds an info.toml)
    #[arg(long, global = true, env = "ASYNCLINGS_COURSE", value_name = "DIR")]
    course: Option<PathBuf>,

    /// Without a command, asynclings watches (as `asynclings watch`)
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The learner's loop: grade the current exercise on every save, with hints and progress
    Watch,
    /// List the exercises in order, with their status and your progress
    List,
    /// Grade an exercise (default: the current one) and explain what is wrong
    Run {
        /// The exercise's name, as `list` shows it
        name: Option<String>,
    },
    /// Show the next hint level for an exercise (default: the current one)
    Hint {
        name: Option<String>,
        /// Show every hint level at once
        #[arg(long)]
        all: bool,
    },
    /// Restore an exercise file as it was shipped (touches nothing else)
    Reset { name: String },
    /// Grade every exercise and sum up; exit status 0 only if all pass
    Verify {
        /// Grade the solutions/ folder against the same hidden tests instead
        #[arg(long)]
        solutions: bool,
        /// Grade only this chapter's exercises (repeatable), say for a one-chapter assignment
        #[arg(long, value_name = "NN_name")]
        chapter: Vec<String>,
        /// Grade this course's exercise files against the hidden tests, seal and settings of
        /// another course: an instructor's checkout (a folder outside this repository) or a git
        /// revision (say FETCH_HEAD after fetching the template). For graded classes
        #[arg(long, value_name = "DIR|REV", conflicts_with = "solutions")]
        tests_from: Option<String>,
        #[command(flatten)]
        output: results::VerifyOutput,
    },
    /// Instructor tools
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Prove the course honest: files agree with info.toml, exercises fail as shipped,
    /// solutions pass clean, wrong fixes are rejected with their explanation, right fixes pass,
    /// seal is current. Name exercises, chapters or single files to check only those
    Check(commands::dev::CheckArgs),
    /// Scaffold a new exercise: its file, solution, hidden tests, a wrong fix, its info.toml
    /// entry (after its chapter's last exercise) and, where the course has them, its editor target
    New(commands::dev::NewArgs),
    /// Record the hidden tests and shipped exercises as they are now (tests/seal.toml)
    Seal,
    /// Rename an exercise everywhere it lives: files, fixtures, info.toml, editor target, seal
    /// and progress marks
    Rename(commands::dev::RenameArgs),
    /// Take an exercise out of the course everywhere it lives; its files are moved aside into
    /// target/asynclings/removed/, not deleted
    Remove(commands::dev::RemoveArgs),
}

/// Runs the command line; the result is the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let course_dir = cli.course.as_deref();
    // Commands that grade stop every process they started on SIGINT, SIGTERM and SIGHUP
    // (watch handles those itself, as keys).
    if matches!(
        cli.command,
        Some(Command::Run { .. } | Command::Verify { .. } | Command::Dev { .. })
    ) {
        crate::interrupt::install()?;
    }
    match cli.command.unwrap_or(Command::Watch) {
        Command::Watch => crate::watch::run(&mut Session::open(course_dir)?),
        Command::List => commands::list::run(&Session::open(course_dir)?).map(|()| exit::SUCCESS),
        Command::Run { name } => {
            commands::run::run(&mut Session::open(course_dir)?, name.as_deref())
        }
        Command::Hint { name, all } => {
            commands::hint::run(&mut Session::open(course_dir)?, name.as_deref(), all)
                .map(|()| exit::SUCCESS)
        }
        Command::Reset { name } => {
            commands::reset::run(&Session::open(course_dir)?, &name).map(|()| exit::SUCCESS)
        }
        Command::Verify {
            solutions,
            chapter,
            tests_from,
            output,
        } => commands::verify::run(
            &mut Session::open(course_dir)?,
            &commands::verify::Options {
                solutions,
                chapters: &chapter,
                tests_from: tests_from.as_deref(),
            },
            &output,
        ),
        Command::Dev { command } => {
            let course = Course::load(&Course::locate(course_dir)?)?;
            match command {
                DevCommand::Check(args) => commands::dev::check(&course, &args),
                DevCommand::New(args) => commands::dev::new(&course, &args).map(|()| exit::SUCCESS),
                DevCommand::Seal => commands::dev::seal(&course).map(|()| exit::SUCCESS),
                DevCommand::Rename(args) => {
                    commands::dev::rename(&course, &args).map(|()| exit::SUCCESS)
                }
                DevCommand::Remove(args) => {
                    commands::dev::remove(&course, &args).map(|()| exit::SUCCESS)
                }
            }
        }
    }
}
