//! `asynclings list`: every exercise in order, with its status and the overall progress.

use anyhow::Result;
use console::style;

use super::Session;

pub fn run(session: &Session) -> Result<()> {
    let current = session.current().map(|e| e.name().to_owned());
    let width = session
        .course
        .exercises
        .iter()
        .map(|e| e.name().len())
        .max()
        .unwrap_or(0);
    outln!("  #    status   chapter        exercise");
    for (index, exercise) in session.course.exercises.iter().enumerate() {
        let (marker, status) = if current.as_deref() == Some(exercise.name()) {
            (style("▶").cyan().bold(), style("current").cyan())
        } else if session.progress.is_done(exercise.name()) {
            (style(" "), style("done").green())
        } else {
            (style(" "), style("pending").dim())
        };
        outln!(
            "{marker} {:<4} {:<8} {:<14} {:<width$}  {}",
            index + 1,
            status,
            exercise.chapter(),
            exercise.name(),
            style(exercise.file().display()).dim(),
        );
    }
    let done = session.done_count();
    let total = session.course.exercises.len();
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    outln!("\nProgress: {done}/{total} exercises done ({percent}%)");
    Ok(())
}
