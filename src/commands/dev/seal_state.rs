//! `dev check`'s "the seal is up to date": the hidden files and shipped exercises as they are
//! now, compared with tests/seal.toml, and a check list sealed for every exercise.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::course::Course;
use crate::grade::toolchain::Toolchain;
use crate::invocation;
use crate::seal::{SEAL_FILE, Seal};

/// What makes the seal stale: every sealed file that changed, appeared or disappeared, or
/// (`only`, course-relative paths) just those among the given files; when none did, every
/// exercise (among `only`'s graders) whose checks the seal does not list.
pub fn problems(
    course: &Course,
    toolchain: &Toolchain,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<String>> {
    let seal = invocation::command("dev seal");
    let fresh = Seal::compute(course, toolchain);
    let Some(sealed) = Seal::load(course)? else {
        return Ok(vec![format!(
            "{SEAL_FILE} is missing: run `{seal}` to record the hidden files"
        )]);
    };
    let mut changed: BTreeSet<&String> = BTreeSet::new();
    for (old, new) in [
        (&sealed.hidden, &fresh.hidden),
        (&sealed.shipped, &fresh.shipped),
    ] {
        changed.extend(old.keys().chain(new.keys()).filter(|path| {
            old.get(*path) != new.get(*path) && only.is_none_or(|only| only.contains(*path))
        }));
    }
    if changed.is_empty() {
        return Ok(course
            .exercises
            .iter()
            .filter(|e| {
                let grader = e.grader().to_string_lossy().into_owned();
                !sealed.checks.contains_key(&grader)
                    && only.is_none_or(|only| only.contains(&grader))
            })
            .map(|e| {
                format!(
                    "{SEAL_FILE} lists no checks for `{}`: run `{seal}`",
                    e.name()
                )
            })
            .collect());
    }
    let list: Vec<&str> = changed.iter().take(5).map(|p| p.as_str()).collect();
    let more = changed.len().saturating_sub(5);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Ok(vec![format!(
        "{SEAL_FILE} is stale ({}{more}): run `{seal}`",
        list.join(", ")
    )])
}
