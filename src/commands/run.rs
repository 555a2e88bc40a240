//! `asynclings run [NAME]`: grade one exercise and say what is wrong, in async terms.

use anyhow::Result;
use console::style;

use super::{Session, announce};
use crate::exit;
use crate::grade::{Control, Grader, SealPolicy, Subject};
use crate::invocation;
use crate::render;

pub fn run(session: &mut Session, name: Option<&str>) -> Result<u8> {
    let exercise = session.exercise_or_current(name)?.clone();
    let grader = Grader::new(&session.course, SealPolicy::Enforce, &announce)?;
    let grade = grader.grade(&exercise, &Subject::Exercise, false, &Control::default())?;
    print!("{}", render::verdict(&grade, &exercise));
    if !grade.passed() {
        println!(
            "\n{}",
            style(format!(
                "Stuck? `{}`",
                invocation::asynclings(&format!("hint {}", exercise.name()))
            ))
            .dim()
        );
        return Ok(exit::FAILED);
    }
    session.progress.mark_done(exercise.name());
    session.progress.save()?;
    println!(
        "  Compare with the solution: {}",
        style(exercise.solution().display()).underlined()
    );
    let done = session.done_count();
    let total = session.course.exercises.len();
    match session.current() {
        Some(next) => println!(
            "\nProgress: {done}/{total}. Next: `{}`",
            invocation::asynclings(&format!("run {}", next.name()))
        ),
        None => println!("\nProgress: {done}/{total}. Every exercise is done. Congratulations!"),
    }
    Ok(exit::SUCCESS)
}
