//! `asynclings dev ...`: the instructor's tools.

mod cheats;
mod check;
mod fixtures;
mod info_edit;
mod layout;
mod new;
mod scaffold;

pub use check::run as check;
pub use new::{NewArgs, run as new};

use anyhow::Result;

use super::announce;
use crate::course::Course;
use crate::grade::{Grader, SealPolicy};
use crate::seal::{SEAL_FILE, Seal};

/// `asynclings dev seal`: record the hidden files and shipped exercises as they are now.
pub fn seal(course: &Course) -> Result<()> {
    let grader = Grader::new(course, SealPolicy::Ignore, &announce)?;
    let mut seal = Seal::compute(course, grader.toolchain());
    seal.checks = grader.list_all_checks()?;
    seal.save(course)?;
    println!(
        "Sealed {} hidden files and {} exercises in {SEAL_FILE}.",
        seal.hidden.len(),
        seal.shipped.len()
    );
    Ok(())
}
