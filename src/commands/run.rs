//! `asynclings run [NAME]`: grade one exercise and say what is wrong, in async terms.

use anyhow::Result;
use console::style;

use super::{Session, announce};
use crate::exit;
use crate::grade::{Control, Grader, SealPolicy, Subject};
use crate::invocation;
use crate::render::{self, Audience};

pub fn run(session: &mut Session, name: Option<&str>) -> Result<u8> {
    let exercise = session.exercise_or_current(name)?.clone();
    let grader = Grader::new(&session.course, SealPolicy::Enforce, &announce)?.keep_incremental();
    let grade = grader.grade(&exercise, &Subject::Exercise, false, &Control::default())?;
    let width = render::terminal_width();
    out!(
        "{}",
        render::report(&grade, &exercise, Audience::Run).text(width)
    );
    if !grade.passed() {
        // The latest grade is what counts: a file that passed once and fails now is not done.
        // (A grade that could not judge the file, tampered, unsealed or a broken course, says
        // nothing about it.)
        if grade.judges_the_file() && session.progress.mark_not_done(exercise.name()) {
            session.progress.save()?;
        }
        // A hint helps with the learner's code, not with hidden files or a broken course.
        if grade.failed_on_the_code() {
            outln!(
                "\n{}",
                style(format!(
                    "Stuck? `{}`",
                    invocation::command(&format!("hint {}", exercise.name()))
                ))
                .dim()
            );
        }
        return Ok(exit::FAILED);
    }
    session.progress.mark_done(exercise.name());
    session.progress.save()?;
    outln!(
        "  Compare with the solution: {}",
        style(exercise.solution().display()).underlined()
    );
    let yours = std::fs::read_to_string(session.course.path(&exercise.file())).unwrap_or_default();
    if let Ok(solution) = std::fs::read_to_string(session.course.path(&exercise.solution())) {
        let name = exercise.solution().display().to_string();
        outln!();
        out!(
            "{}",
            render::diff::against_solution(&yours, &solution, &name).text(width)
        );
    }
    let done = session.done_count();
    let total = session.course.exercises.len();
    match session.current() {
        Some(next) => outln!(
            "\nProgress: {done}/{total}. Next: `{}`",
            invocation::command(&format!("run {}", next.name()))
        ),
        None => outln!("\nProgress: {done}/{total}. Every exercise is done. Congratulations!"),
    }
    Ok(exit::SUCCESS)
}
