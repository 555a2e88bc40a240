//! Fixtures say, in their first lines, what they are. A wrong fix says how the graders must
//! reject it:
//!
//! ```text
//! //! Wrong fix: wakes its own waker on every poll.
//! // expect fail: woke itself
//! ```
//!
//! A right fix (a correct alternative, which must pass) names the style it shows:
//!
//! ```text
//! //! Correct alternative: a hand-written state machine instead of an async fn.
//! ```

use crate::grade::{Grade, GradeStatus};

#[derive(Debug, PartialEq, Eq)]
pub struct Expectation {
    pub status: GradeStatus,
    /// Text that must appear in the verdict.
    pub fragment: Option<String>,
}

/// The `// expect <status>: <fragment>` line of a fixture.
pub fn expectation(source: &str) -> Result<Expectation, String> {
    let line = source
        .lines()
        .take_while(|l| l.trim_start().starts_with("//") || l.trim().is_empty())
        .find_map(|l| l.trim_start().strip_prefix("// expect "))
        .ok_or(
            "has no `// expect <fail|compile-error|timeout|rejected>: <verdict fragment>` line at its top",
        )?;
    let (status, fragment) = match line.split_once(':') {
        Some((status, fragment)) => (
            status.trim(),
            Some(fragment.trim()).filter(|f| !f.is_empty()),
        ),
        None => (line.trim(), None),
    };
    let status = match status {
        "fail" => GradeStatus::Fail,
        "compile-error" => GradeStatus::CompileError,
        "timeout" => GradeStatus::Timeout,
        "rejected" => GradeStatus::Rejected,
        other => {
            return Err(format!(
                "expects `{other}`; use fail, compile-error, timeout or rejected"
            ));
        }
    };
    Ok(Expectation {
        status,
        fragment: fragment.map(str::to_owned),
    })
}

/// The first line a right fix starts with, before the style it shows.
pub const RIGHT_FIX_HEADER: &str = "//! Correct alternative:";

/// The style a right fix says it shows (its first line), or what is wrong with that line.
pub fn right_fix_style(source: &str) -> Result<String, String> {
    let first = source.lines().next().unwrap_or("");
    match first.trim().strip_prefix(RIGHT_FIX_HEADER) {
        Some(style) if !style.trim().is_empty() => Ok(style.trim().to_owned()),
        _ => Err(format!(
            "does not start with `{RIGHT_FIX_HEADER} <its style, in a few words>`"
        )),
    }
}

/// Whether `grade` rejected the fixture the way it expects; otherwise what happened instead.
pub fn check(grade: &Grade, expected: &Expectation) -> Result<(), String> {
    if grade.course_broken {
        return Err(format!(
            "{}; nothing about this fixture was checked",
            crate::render::first_reason(grade).unwrap_or_default()
        ));
    }
    if grade.status != expected.status {
        let reason = crate::render::first_reason(grade)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        return Err(format!(
            "expected {}, got {}{reason}",
            expected.status.as_str(),
            grade.status.as_str()
        ));
    }
    match &expected.fragment {
        Some(fragment) if !grade.explanation().contains(fragment.as_str()) => Err(format!(
            "rejected, but the verdict does not say \"{fragment}\"; it says: {}",
            crate::render::first_reason(grade).unwrap_or_default()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_expectation_line() {
        let source =
            "//! Wrong fix: wakes itself.\n// expect fail: woke itself\nuse std::task::Poll;\n";
        assert_eq!(
            expectation(source),
            Ok(Expectation {
                status: GradeStatus::Fail,
                fragment: Some("woke itself".into())
            })
        );
        assert_eq!(expectation("// expect timeout\n").unwrap().fragment, None);
        assert!(expectation("use x;\n// expect fail: late\n").is_err());
        assert!(
            expectation("// expect pass\n")
                .unwrap_err()
                .contains("use fail")
        );
    }

    #[test]
    fn reads_the_style_of_a_right_fix() {
        assert_eq!(
            right_fix_style("//! Correct alternative: a loop instead of recursion.\nfn x() {}\n"),
            Ok("a loop instead of recursion.".into())
        );
        assert!(right_fix_style("//! Correct alternative:\n").is_err());
        assert!(right_fix_style("use x;\n//! Correct alternative: late\n").is_err());
        assert!(right_fix_style("").is_err());
    }
}
