//! `asynclings watch`: the learner's loop. Every save regrades; the verdict stays on screen
//! until the next one is ready.
//!
//! Threads: the file watcher, the keyboard, signals and each grade only send [`Event`]s; the
//! app loop ([`app::App`]) owns all state and decides; [`layout`] decides, as a pure function,
//! what of it fits on the screen. A grade runs on its own thread and is cancelled (its
//! processes killed) when a newer save makes it stale.

mod app;
mod event;
mod input;
pub mod layout;
mod screen;
pub mod terminal;
mod watcher;

use std::sync::mpsc;
use std::thread;

use anyhow::Result;

use crate::commands::{Session, announce};
use crate::exit;
use crate::grade::{Grader, SealPolicy};
use crate::invocation;
use app::App;
use event::Event;
use screen::Screen;
use terminal::Kind;

pub fn run(session: &mut Session) -> Result<u8> {
    let kind = terminal::detect();
    if kind == (Kind::Lines { human: true }) {
        // A person at a terminal that cannot draw (TERM=dumb, or one without a terminfo
        // entry): no colours either, from us or from the cargo build of the dependencies.
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
        // SAFETY: no other thread runs yet (the signal, watcher and key threads start below),
        // so nothing reads the environment while it changes.
        unsafe {
            std::env::set_var("CARGO_TERM_COLOR", "never");
            std::env::set_var("CARGO_TERM_PROGRESS_WHEN", "never");
        }
    }
    let Session { course, progress } = session;
    // Where the learner left off: the exercise they last moved to, else the first unfinished.
    let Some(first) = course
        .exercises
        .iter()
        .position(|e| Some(e.name()) == progress.chosen())
        .or_else(|| {
            course
                .exercises
                .iter()
                .position(|e| !progress.is_done(e.name()))
        })
        .or((!course.exercises.is_empty()).then_some(0))
    else {
        announce("this course has no exercises");
        return Ok(exit::SUCCESS);
    };
    let full_screen = matches!(kind, Kind::Screen { .. });
    let (events, inbox) = mpsc::channel::<Event>();
    input::forward_signals(events.clone(), full_screen)?;
    // Watch before the (possibly long) first build, so saves made meanwhile are not lost.
    watcher::start(course, events.clone())?;
    let grader = Grader::new(course, SealPolicy::Enforce, &announce)?.keep_incremental();
    let screen = Screen::new(kind)?;
    input::read_keys(full_screen, events.clone());
    thread::scope(|scope| {
        App::new(course, progress, &grader, scope, events, screen, first).run(&inbox)
    })?;
    let done = course
        .exercises
        .iter()
        .filter(|e| progress.is_done(e.name()))
        .count();
    outln!(
        "\nasynclings: {done}/{} exercises done. `{}` picks up where you left off.",
        course.exercises.len(),
        invocation::command("watch")
    );
    Ok(exit::SUCCESS)
}
