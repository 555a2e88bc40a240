//! `asynclings watch`: the learner's loop. Every save regrades; the verdict stays on screen
//! until the next one is ready.
//!
//! Threads: the file watcher, the keyboard, signals and each grade only send [`Event`]s; the
//! app loop ([`app::App`]) owns all state and decides. A grade runs on its own thread and is
//! cancelled (its processes killed) when a newer save makes it stale.

mod app;
mod event;
mod input;
mod screen;
mod watcher;

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread;

use anyhow::Result;

use crate::commands::{Session, announce};
use crate::exit;
use crate::grade::{Grader, SealPolicy};
use app::App;
use event::Event;
use screen::Screen;

pub fn run(session: &mut Session) -> Result<u8> {
    let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let Session { course, progress } = session;
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
    let (events, inbox) = mpsc::channel::<Event>();
    input::forward_signals(events.clone())?;
    // Watch before the (possibly long) first build, so saves made meanwhile are not lost.
    let _watcher = watcher::start(course, events.clone())?;
    let grader = Grader::new(course, SealPolicy::Enforce, &announce)?;
    let screen = Screen::new(interactive)?;
    input::read_keys(interactive, events.clone());
    thread::scope(|scope| {
        App::new(course, progress, &grader, scope, events, screen, first).run(&inbox)
    })?;
    let done = course
        .exercises
        .iter()
        .filter(|e| progress.is_done(e.name()))
        .count();
    println!(
        "\nasynclings: {done}/{} exercises done. `asynclings watch` picks up where you left off.",
        course.exercises.len()
    );
    Ok(exit::SUCCESS)
}
