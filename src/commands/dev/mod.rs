//! `asynclings dev ...`: the instructor's tools.

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
use crate::grade::toolchain::Toolchain;
use crate::seal::{SEAL_FILE, Seal};

/// `asynclings dev seal`: record the hidden files and shipped exercises as they are now.
pub fn seal(course: &Course) -> Result<()> {
    let toolchain = Toolchain::prepare(course, &announce)?;
    let seal = Seal::compute(course, &toolchain);
    seal.save(course)?;
    println!(
        "Sealed {} hidden files and {} exercises in {SEAL_FILE}.",
        seal.hidden.len(),
        seal.shipped.len()
    );
    Ok(())
}
