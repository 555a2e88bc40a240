//! `asynclings hint [NAME] [--all]`: hints one level at a time, from a nudge to nearly the
//! answer.

use anyhow::Result;
use console::style;

use super::Session;

pub fn run(session: &mut Session, name: Option<&str>, all: bool) -> Result<()> {
    let exercise = session.exercise_or_current(name)?.clone();
    let hints = &exercise.info.hints;
    let shown = session.progress.hints_shown(exercise.name());
    let level = if all {
        hints.len()
    } else {
        (shown + 1).min(hints.len())
    };
    let first = if all { 1 } else { level };
    for (index, hint) in hints.iter().enumerate().take(level).skip(first - 1) {
        println!(
            "{}",
            style(format!(
                "Hint {} of {} for {}:",
                index + 1,
                hints.len(),
                exercise.name()
            ))
            .bold()
        );
        println!("{}\n", hint.trim());
    }
    if level > shown {
        session.progress.set_hints_shown(exercise.name(), level);
        session.progress.save()?;
    }
    if level < hints.len() {
        println!(
            "{}",
            style(format!(
                "Still stuck? `{}` shows the next level.",
                crate::invocation::asynclings(&format!("hint {}", exercise.name()))
            ))
            .dim()
        );
    } else if !all && hints.len() > 1 {
        println!(
            "{}",
            style(format!(
                "That was the last hint. `{}` shows them all.",
                crate::invocation::asynclings(&format!("hint {} --all", exercise.name()))
            ))
            .dim()
        );
    }
    Ok(())
}
