//! `asynclings dev ...`: the instructor's tools.

mod cheats;
mod check;
mod findings;
mod fixtures;
mod info_edit;
mod layout;
mod manifest_edit;
mod new;
mod progress_edit;
mod remove;
mod rename;
mod requirements;
mod rustfmt;
mod scaffold;
mod seal_state;
mod selection;
mod toml_text;
mod transaction;

pub use check::{CheckArgs, run as check};
pub use new::{NewArgs, run as new};
pub use remove::{RemoveArgs, run as remove};
pub use rename::{RenameArgs, run as rename};

use anyhow::Result;

use super::announce;
use crate::course::Course;
use crate::grade::{Grader, SealPolicy};
use crate::seal::{SEAL_FILE, Seal};

/// `asynclings dev seal`: record the hidden files and shipped exercises as they are now, and
/// each grader's checks. An exercise whose solution does not build with its hidden tests (a
/// course being written) is sealed without a check list, with a warning: its grades say
/// `unsealed`, and `dev check` reports it, until it builds and is sealed again.
pub fn seal(course: &Course) -> Result<()> {
    let grader = Grader::new(course, SealPolicy::Ignore, &announce)?;
    let mut seal = Seal::compute(course, grader.toolchain());
    let lists = grader.list_all_checks()?;
    seal.checks = lists.listed;
    seal.save(course)?;
    println!(
        "Sealed {} hidden files and {} exercises in {SEAL_FILE}.",
        seal.hidden.len(),
        seal.shipped.len()
    );
    for reason in &lists.unlisted {
        eprintln!(
            "{} {reason}: its checks are not listed, so its grades are `unsealed` until you seal again",
            console::style("warning:").yellow().bold()
        );
    }
    Ok(())
}
