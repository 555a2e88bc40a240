//! What the solution does differently from the learner's file, as a line diff (`similar`'s
//! Myers diff) with a little context: the lesson in a few lines instead of a whole file whose
//! top is a doc comment both share.

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
    let diff = TextDiff::from_lines(yours, solution);
    let groups = diff.grouped_ops(CONTEXT);
    if groups.is_empty() {
        out.push(
            Rank::Requested,
            Line::words("  ", "Nothing: your file is the solution, to the letter."),
        );
        return out;
    }
    for group in groups {
        let first_line = group.first().map_or(0, |op| op.new_range().start + 1);
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
             ── solution line 20 ──\n\
             \x20 //! doc 20\n\
             \x20 fn answer() -> u32 {\n\
             - \x20   41 // TODO\n\
             + \x20   42\n\
             \x20 }\n"
        );
    }

    #[test]
    fn the_same_file_says_so() {
        let text = against_solution("a\n", "a\n", "s.rs").text(None);
        assert!(text.contains("your file is the solution"), "{text}");
    }
}
