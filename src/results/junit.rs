//! JUnit XML, the test report format GitHub Actions reporters, GitLab and Jenkins read.
//!
//! One `<testsuite>` per chapter (and one named `course` for `dev check`'s course-wide
//! claims), one `<testcase>` per graded file, a `<failure>` when the result is not ok: its
//! `message` is the one-line reason, its body the verdict a learner would read. Everything
//! that is not ok is a failure (not an `<error>`): for a course, a compile error is a result
//! like any other, and `type` carries the status. A claim that only warns carries its problems
//! in `<system-out>`; a claim a limited `dev check` did not check is `<skipped>`.

use std::fmt::Write as _;

use super::schema::{Document, Entry, Role, Severity};

pub fn render(document: &Document) -> String {
    let mut suites: Vec<(&str, Vec<&Entry>)> = Vec::new();
    for entry in &document.results {
        match suites
            .iter_mut()
            .find(|(chapter, _)| *chapter == entry.chapter)
        {
            Some((_, entries)) => entries.push(entry),
            None => suites.push((&entry.chapter, vec![entry])),
        }
    }
    let failed = |entries: &[&Entry]| entries.iter().filter(|e| !e.ok).count();
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let findings_failed = document
        .findings
        .iter()
        .filter(|f| !f.ok && f.severity == Severity::Error)
        .count();
    let not_checked: &[String] = document
        .selection
        .as_ref()
        .map_or(&[], |s| s.not_checked.as_slice());

    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
        attribute(&format!("asynclings {}", document.command)),
        document.results.len() + document.findings.len() + not_checked.len(),
        document.summary.not_ok + findings_failed,
        seconds(document.duration_ms),
    );
    if !document.findings.is_empty() || !not_checked.is_empty() {
        let _ = writeln!(
            xml,
            "  <testsuite name=\"course\" tests=\"{}\" failures=\"{findings_failed}\" errors=\"0\" skipped=\"{}\" time=\"0.000\">",
            document.findings.len() + not_checked.len(),
            not_checked.len(),
        );
        for finding in &document.findings {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"course\" time=\"0.000\"",
                attribute(&finding.claim)
            );
            if finding.ok {
                xml.push_str("/>\n");
            } else if finding.severity == Severity::Warning {
                let _ = writeln!(
                    xml,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    text(&format!("warning:\n{}", finding.problems.join("\n"))),
                );
            } else {
                let first = finding.problems.first().map_or("", |p| first_line(p));
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\" type=\"finding\">{}</failure>\n    </testcase>",
                    attribute(first),
                    text(&finding.problems.join("\n")),
                );
            }
        }
        for claim in not_checked {
            let _ = writeln!(
                xml,
                "    <testcase name=\"{}\" classname=\"course\" time=\"0.000\">\n      <skipped message=\"not checked: the selection does not cover it\"/>\n    </testcase>",
                attribute(claim)
            );
        }
        xml.push_str("  </testsuite>\n");
    }
    for (chapter, entries) in &suites {
        let time: u64 = entries.iter().map(|e| e.duration_ms).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{}\">",
            attribute(chapter),
            entries.len(),
            failed(entries),
            seconds(time),
        );
        for entry in entries {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{}\"",
                attribute(&case_name(entry)),
                attribute(chapter),
                attribute(&entry.file),
                seconds(entry.duration_ms),
            );
            if entry.ok {
                xml.push_str("/>\n");
                continue;
            }
            let message = entry.message.as_deref().unwrap_or(entry.status);
            let _ = writeln!(
                xml,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attribute(first_line(message)),
                entry.status,
                text(&format!("{message}\n\n{}", entry.verdict)),
            );
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// `verify` has one file per exercise, named after it; `dev check` grades several per exercise.
fn case_name(entry: &Entry) -> String {
    match entry.role {
        Role::Exercise if entry.expected.as_deref() == Some("pass") => entry.name.clone(),
        Role::Exercise => format!("{} (as shipped)", entry.name),
        Role::Solution => format!("{} (solution)", entry.name),
        Role::WrongFix => format!("{} (wrong fix {})", entry.name, stem(&entry.file)),
        Role::RightFix => format!("{} (right fix {})", entry.name, stem(&entry.file)),
        Role::Cheat => format!("{} (cheat {})", entry.name, stem(&entry.file)),
    }
}

/// A fixture's file name without `.rs`.
fn stem(file: &str) -> &str {
    file.rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".rs"))
        .unwrap_or(file)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Text content: escaped, and without the characters XML 1.0 cannot carry (terminal escapes
/// in a check's output would make the whole report unreadable).
fn text(raw: &str) -> String {
    escape(raw, false)
}

fn attribute(raw: &str) -> String {
    escape(raw, true)
}

fn escape(raw: &str, in_attribute: bool) -> String {
    let plain = console::strip_ansi_codes(raw);
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            attribute("a < b & \"c\"\nd"),
            "a &lt; b &amp; &quot;c&quot;&#10;d"
        );
        assert_eq!(text("\u{1b}[31mred\u{1b}[0m\u{7} <ok>"), "red &lt;ok&gt;");
    }
}
