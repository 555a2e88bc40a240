//! `asynclings reset NAME`: put back the exercise file as shipped, and nothing else. When the
//! shipped version cannot be found, the file is left as it is and the error says what to do.

use anyhow::{Result, bail};

use super::Session;
use crate::invocation;
use crate::seal::{Restored, SEAL_FILE, Seal};

pub fn run(session: &Session, name: &str) -> Result<()> {
    let exercise = session.course.find(name)?;
    let file = exercise.file();
    let Some(seal) = Seal::load(&session.course)? else {
        bail!(
            "this course has no {SEAL_FILE}, so the shipped version of {name} is unknown; if you \
             are writing the course, `{}` records it. {} was left as it is.",
            invocation::command("dev seal"),
            file.display()
        );
    };
    match seal.restore(&session.course, &file)? {
        Restored::Restored => outln!("Restored {} to its shipped version.", file.display()),
        Restored::AlreadyShipped => outln!(
            "{} is already as shipped: nothing to restore.",
            file.display()
        ),
    }
    Ok(())
}
