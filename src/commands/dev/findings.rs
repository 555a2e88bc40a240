//! `dev check`'s claims, what contradicts them, and the report people read.

use std::fmt::Write as _;

use console::style;

use crate::render;
use crate::results::{self, Severity};

/// One claim and what contradicts it.
#[derive(Debug)]
pub struct Finding {
    pub claim: &'static str,
    pub problems: Vec<String>,
    pub severity: Severity,
}

impl Finding {
    /// A claim whose problems fail the check.
    pub fn error(claim: &'static str, problems: Vec<String>) -> Self {
        Self {
            claim,
            problems,
            severity: Severity::Error,
        }
    }

    /// A claim whose problems are reported without failing the check (unless `strict`).
    pub fn warning(claim: &'static str, problems: Vec<String>, strict: bool) -> Self {
        Self {
            claim,
            problems,
            severity: if strict {
                Severity::Error
            } else {
                Severity::Warning
            },
        }
    }

    pub fn fails(&self) -> bool {
        !self.problems.is_empty() && self.severity == Severity::Error
    }

    pub fn into_result(self) -> results::Finding {
        results::Finding {
            claim: self.claim.to_owned(),
            ok: self.problems.is_empty(),
            problems: self.problems,
            severity: self.severity,
        }
    }
}

/// How many files of each kind were graded, for the last line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub shipped: usize,
    pub solutions: usize,
    pub wrong_fixes: usize,
    pub right_fixes: usize,
    pub cheats: usize,
}

impl Counts {
    fn describe(self) -> String {
        let mut parts = Vec::new();
        for (count, one, many) in [
            (self.shipped, "exercise", "exercises"),
            (self.solutions, "solution", "solutions"),
            (self.wrong_fixes, "wrong fix", "wrong fixes"),
            (self.right_fixes, "right fix", "right fixes"),
            (self.cheats, "cheat", "cheats"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {}", if count == 1 { one } else { many }));
            }
        }
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The report for people: what was checked (for a limited check), each claim and what
/// contradicts it, what was not checked, and the conclusion.
pub fn report(
    findings: &[Finding],
    selection: Option<&str>,
    not_checked: &[&str],
    counts: Counts,
) -> String {
    let mut out = String::new();
    if let Some(selection) = selection {
        let _ = writeln!(
            out,
            "Checking {selection} (the claims below hold for the selection alone):"
        );
    }
    for finding in findings {
        if finding.problems.is_empty() {
            let _ = writeln!(out, "{} {}", render::pass_mark(), finding.claim);
            continue;
        }
        let (mark, claim) = match finding.severity {
            Severity::Error => (render::fail_mark(), style(finding.claim).bold()),
            Severity::Warning => (
                style("!").yellow().bold(),
                style(finding.claim).yellow().bold(),
            ),
        };
        let _ = writeln!(out, "{mark} {claim}");
        for problem in &finding.problems {
            let mut lines = problem.lines();
            let _ = writeln!(out, "    - {}", lines.next().unwrap_or(""));
            for line in lines {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
    for claim in not_checked {
        let _ = writeln!(out, "{} not checked: {claim}", style("-").dim());
    }
    let failed = findings.iter().any(Finding::fails);
    let warned = findings
        .iter()
        .any(|f| !f.problems.is_empty() && f.severity == Severity::Warning);
    let subject = if selection.is_some() {
        "the selection"
    } else {
        "the course"
    };
    let verdict = if failed {
        style("problems above".to_owned()).red().bold()
    } else if warned {
        style(format!("{subject} is honest, with warnings above"))
            .green()
            .bold()
    } else {
        style(format!("{subject} is honest")).green().bold()
    };
    let rest = if selection.is_some() {
        "; the rest of the course was not checked"
    } else {
        ""
    };
    let _ = writeln!(out, "\n{} graded: {verdict}{rest}", counts.describe());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: String) -> String {
        console::strip_ansi_codes(&text).into_owned()
    }

    #[test]
    fn a_full_check_concludes_for_the_course() {
        let findings = [
            Finding::error("every solution passes", Vec::new()),
            Finding::warning(
                "every exercise has fixtures",
                vec!["`a` has none".into()],
                false,
            ),
        ];
        let counts = Counts {
            shipped: 2,
            solutions: 2,
            wrong_fixes: 4,
            right_fixes: 1,
            cheats: 2,
        };
        let text = plain(report(&findings, None, &[], counts));
        assert!(text.contains("✓ every solution passes\n"), "{text}");
        assert!(
            text.contains("! every exercise has fixtures\n    - `a` has none\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "\n2 exercises, 2 solutions, 4 wrong fixes, 1 right fix, 2 cheats graded: the course is honest, with warnings above\n"
            ),
            "{text}"
        );
        let strict = [Finding::warning("claim", vec!["p".into()], true)];
        assert!(plain(report(&strict, None, &[], counts)).contains("graded: problems above"));
    }

    #[test]
    fn a_limited_check_says_what_it_covered_and_skipped() {
        let findings = [Finding::error("every wrong fix is rejected", Vec::new())];
        let counts = Counts {
            wrong_fixes: 1,
            ..Counts::default()
        };
        let text = plain(report(
            &findings,
            Some("tests/wrong_fixes/01_a/x/y.rs"),
            &["the seal is up to date"],
            counts,
        ));
        assert!(
            text.starts_with("Checking tests/wrong_fixes/01_a/x/y.rs (the claims below hold for the selection alone):\n"),
            "{text}"
        );
        assert!(
            text.contains("- not checked: the seal is up to date\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "1 wrong fix graded: the selection is honest; the rest of the course was not checked\n"
            ),
            "{text}"
        );
        assert!(!text.contains("the course is honest"));
    }
}
