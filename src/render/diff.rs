//! What the solution does differently from the learner's file, as a line diff (`similar`'s
//! Myers diff) with a little context: the lesson in a few lines instead of a whole file whose
//! top is a doc comment both share. The top doc comments (`//!`) are left out of the diff: the
//! exercise's says what to do and the solution's explains it, so they always differ, and shown
//! line by line they hid the code that changed (a stranger's trial of chapter 04).

use console::style;
use similar::{ChangeTag, TextDiff};

use super::text::{Line, Rank, Report};
use crate::untrusted;

/// Unchanged lines shown around each change.
const CONTEXT: usize = 2;

/// The diff from `yours` (the learner's file) to `solution`, `solution_name` naming the file.
pub fn against_solution(yours: &str, solution: &str, solution_name: &str) -> Report {
    let mut out = Report::default();
    let title = format!(
        "What {solution_name} does differently ({} your file, {} the solution):",
        style("-").red(),
        style("+").green()
    );
    out.push(
        Rank::Requested,
        Line::words("", style(title).bold().to_string()),
    );
    let (your_top, your_code) = split_top_comment(yours);
    let (solution_top, solution_code) = split_top_comment(solution);
    // Line numbers name the solution's lines, counted from the top of its file.
    let offset = solution_top.lines().count();
    let diff = TextDiff::from_lines(your_code, solution_code);
    let groups = diff.grouped_ops(CONTEXT);
    if your_top != solution_top {
        out.push(
            Rank::Requested,
            Line::words(
                "  ",
                style(format!(
                    "(The top comments differ too: {solution_name} explains its approach in \
                     its first {offset} lines.)"
                ))
                .dim()
                .to_string(),
            ),
        );
    }
    if groups.is_empty() {
        let same = if your_top == solution_top {
            "Nothing: your file is the solution, to the letter."
        } else {
            "Nothing in the code: yours is the solution's, to the letter."
        };
        out.push(Rank::Requested, Line::words("  ", same));
        return out;
    }
    for group in groups {
        let first_line = group
            .first()
            .map_or(0, |op| op.new_range().start + 1 + offset);
        out.push(
            Rank::Requested,
            Line::words(
                "",
                style(format!("── solution line {first_line} ──"))
                    .dim()
                    .to_string(),
            ),
        );
        for op in &group {
            for change in diff.iter_changes(op) {
                let text = untrusted::inert(change.value().trim_end_matches(['\n', '\r']));
                let line = match change.tag() {
                    ChangeTag::Delete => {
                        Line::verbatim(style("- ").red().to_string(), style(text).red().to_string())
                    }
                    ChangeTag::Insert => Line::verbatim(
                        style("+ ").green().to_string(),
                        style(text).green().to_string(),
                    ),
                    ChangeTag::Equal => Line::verbatim("  ", style(text).dim().to_string()),
                };
                out.push(Rank::Requested, line);
            }
        }
    }
    out
}

/// A file's leading `//!` lines (with the blank lines among them), and the rest.
fn split_top_comment(file: &str) -> (&str, &str) {
    let mut end = 0;
    for line in file.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("//!") || (trimmed.is_empty() && end > 0) {
            end += line.len();
        } else {
            break;
        }
    }
    // Blank lines after the comment belong to the code (they are context, not comment).
    let top = file[..end].trim_end_matches(['\n', '\r', ' ', '\t']);
    let top_end = if top.is_empty() { 0 } else { top.len() + 1 }.min(file.len());
    (&file[..top_end], &file[top_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_what_changed_with_context_not_the_whole_file() {
        let top: String = (1..=20).map(|n| format!("//! doc {n}\n")).collect();
        let yours = format!("{top}fn answer() -> u32 {{\n    41 // TODO\n}}\n");
        let solution = format!("{top}fn answer() -> u32 {{\n    42\n}}\n");
        let text = console::strip_ansi_codes(
            &against_solution(&yours, &solution, "solutions/x.rs").text(None),
        )
        .into_owned();
        assert_eq!(
            text,
            "What solutions/x.rs does differently (- your file, + the solution):\n\
             ── solution line 21 ──\n\
             \x20 fn answer() -> u32 {\n\
             - \x20   41 // TODO\n\
             + \x20   42\n\
             \x20 }\n"
        );
    }

    #[test]
    fn top_comments_are_named_once_not_diffed() {
        let yours = "//! Fix the TODO.\n//! Done when it returns 42.\n\nfn answer() -> u32 {\n    41 // TODO\n}\n";
        let solution = "//! The answer, explained\n//! at length\n//! in three lines.\n\nfn answer() -> u32 {\n    42\n}\n";
        let text = console::strip_ansi_codes(&against_solution(yours, solution, "s.rs").text(None))
            .into_owned();
        assert!(!text.contains("- //!") && !text.contains("+ //!"), "{text}");
        assert!(
            text.contains(
                "The top comments differ too: s.rs explains its approach in its first 3 lines"
            ),
            "{text}"
        );
        assert!(text.contains("── solution line 4 ──"), "{text}");
        assert!(
            text.contains("- \x20   41 // TODO") || text.contains("-     41 // TODO"),
            "{text}"
        );
        let only_comments =
            against_solution(yours, &yours.replace("Fix the TODO.", "Other."), "s.rs").text(None);
        assert!(
            only_comments.contains("Nothing in the code"),
            "{only_comments}"
        );
    }

    #[test]
    fn a_file_without_a_top_comment_splits_into_nothing_and_itself() {
        assert_eq!(split_top_comment("fn a() {}\n"), ("", "fn a() {}\n"));
        assert_eq!(
            split_top_comment("//! a\n\nfn a() {}\n"),
            ("//! a\n", "\nfn a() {}\n")
        );
        assert_eq!(split_top_comment("//! only\n"), ("//! only\n", ""));
    }

    #[test]
    fn the_same_file_says_so() {
        let text = against_solution("a\n", "a\n", "s.rs").text(None);
        assert!(text.contains("your file is the solution"), "{text}");
    }
}
