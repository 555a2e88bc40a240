//! `dev check`'s "every solution is rustfmt-clean", each problem located at the first line
//! rustfmt would change.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::course::Course;
use crate::grade::toolchain::Toolchain;

/// `file:line: not rustfmt-clean (run ...)` for each of `files` (course-relative) rustfmt
/// would change.
pub fn problems(course: &Course, toolchain: &Toolchain, files: &[PathBuf]) -> Result<Vec<String>> {
    let files: Vec<&PathBuf> = files.iter().filter(|f| course.path(f).is_file()).collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let output = Command::new(&toolchain.rustfmt)
        .args([
            "--check",
            "--color",
            "never",
            "--edition",
            &toolchain.edition,
        ])
        .args(&files)
        .current_dir(&course.root)
        .output()
        .with_context(|| format!("cannot run {}", toolchain.rustfmt.display()))?;
    let roots: Vec<String> = [Some(course.root.clone()), course.root.canonicalize().ok()]
        .into_iter()
        .flatten()
        .map(|r| format!("{}/", r.display()))
        .collect();
    let mut problems: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (file, line) in first_differences(&String::from_utf8_lossy(&output.stdout)) {
        let file = roots
            .iter()
            .find_map(|root| file.strip_prefix(root.as_str()))
            .unwrap_or(file)
            .to_owned();
        if seen.contains(&file) {
            continue;
        }
        problems.push(format!(
            "{file}:{line}: not rustfmt-clean (run `rustfmt --edition {} {file}`)",
            toolchain.edition
        ));
        seen.push(file);
    }
    if problems.is_empty() && !output.status.success() {
        problems.push(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(problems)
}

/// The first line rustfmt would change in each file of its `--check` output: a hunk starts
/// with `Diff in /path/to/file.rs:12:` (its first line, context included), then context lines
/// (` `), removed ones (`-`) and added ones (`+`).
fn first_differences(output: &str) -> Vec<(&str, usize)> {
    let mut found = Vec::new();
    let mut hunk: Option<(&str, usize)> = None;
    for line in output.lines() {
        if let Some(located) = line
            .strip_prefix("Diff in ")
            .and_then(|l| l.strip_suffix(':'))
        {
            hunk = located
                .rsplit_once(':')
                .and_then(|(file, number)| Some((file, number.parse().ok()?)));
            continue;
        }
        let Some((file, number)) = hunk else { continue };
        if line.starts_with('-') || line.starts_with('+') {
            found.push((file, number));
            hunk = None;
        } else {
            hunk = Some((file, number + 1));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_changed_line_past_the_context() {
        let output = "Diff in /c/solutions/01_a/x.rs:4:\n }\n \n pub fn a() {}\n-fn  b() {}\n+fn b() {}\n \nDiff in /c/y.rs:1:\n-fn  c() {}\n+fn c() {}\n";
        assert_eq!(
            first_differences(output),
            [("/c/solutions/01_a/x.rs", 7), ("/c/y.rs", 1)]
        );
    }
}
