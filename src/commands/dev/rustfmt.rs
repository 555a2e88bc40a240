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
        .args(["--check", "--color", "never", "--edition", &toolchain.edition])
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
    for (file, line) in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(first_difference)
    {
        let file = roots
            .iter()
            .find_map(|root| file.strip_prefix(root.as_str()))
            .unwrap_or(file)
            .to_owned();
        if seen.contains(&file) {
            continue;
        }
        problems.push(format!(
            "{file}:{line}: not rustfmt-clean from here on (run `rustfmt --edition {} {file}`)",
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

/// `Diff in /path/to/file.rs:12:` → (`/path/to/file.rs`, 12).
fn first_difference(line: &str) -> Option<(&str, usize)> {
    let located = line.strip_prefix("Diff in ")?.strip_suffix(':')?;
    let (file, number) = located.rsplit_once(':')?;
    Some((file, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_where_a_difference_starts() {
        assert_eq!(
            first_difference("Diff in /c/solutions/01_a/x.rs:12:"),
            Some(("/c/solutions/01_a/x.rs", 12))
        );
        assert_eq!(first_difference("-fn main(){"), None);
    }
}
