//! `asynclings reset NAME`: put back the exercise file as shipped, and nothing else.

use anyhow::{Result, bail};

use super::Session;
use crate::seal::{SEAL_FILE, Seal};

pub fn run(session: &Session, name: &str) -> Result<()> {
    let exercise = session.course.find(name)?;
    let Some(seal) = Seal::load(&session.course)? else {
        bail!("this course has no {SEAL_FILE}, so the shipped version of {name} is unknown");
    };
    seal.restore(&session.course, &exercise.file())?;
    outln!(
        "Restored {} to its shipped version.",
        exercise.file().display()
    );
    Ok(())
}
