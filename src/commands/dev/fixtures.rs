//! Wrong-fix fixtures say, in their first lines, how the graders must reject them:
//!
//! ```text
//! //! Wrong fix: wakes its own waker on every poll.
//! // expect fail: woke itself
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

/// Whether `grade` rejected the fixture the way it expects; otherwise what happened instead.
pub fn check(grade: &Grade, expected: &Expectation) -> Result<(), String> {
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
}
