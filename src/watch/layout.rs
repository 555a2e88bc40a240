//! What watch shows, decided without a terminal: a pure function from the watch state (a
//! [`View`]) and the terminal's size to the rows on screen.
//!
//! Every row counts, wrapped rows included, so nothing scrolls off. When everything does not
//! fit, rows go first to what the learner must always see (the header, the verdict's headline,
//! the status row and any notice), then to what they asked for (a hint, the solution), then to
//! the keys, the first failure, the other failures, the compiler's warnings, details (program
//! output), checks that passed, and last to blank separators. What got rows is shown in reading
//! order, and one row says how much was left out.

use console::style;
use textwrap::core::display_width;

use crate::render::{Line, Rank, Report};

/// A terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub columns: usize,
    pub rows: usize,
}

/// Everything watch shows, already in words; [`layout`] decides what fits.
#[derive(Debug, Clone)]
pub struct View {
    pub exercise: String,
    pub chapter: String,
    /// The exercise file, relative to the course.
    pub path: String,
    /// A `file://` URL for a terminal hyperlink on the path, where the terminal supports them.
    pub link: Option<String>,
    pub done: usize,
    pub total: usize,
    pub body: Body,
    /// A one-off message (an instruction, a question, an error): always shown in full.
    pub notice: Option<String>,
    /// What watch is doing now (styled).
    pub status: String,
    /// The keys of the current mode, longest form first; the first that fits is shown.
    pub keys: Vec<String>,
    /// The command that prints the whole verdict (named when some of it does not fit).
    pub full_verdict: String,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// The verdict (or a placeholder), followed by what the learner asked for.
    Report(Report),
    /// The exercise list, one row per exercise, and the selected row.
    List { rows: Vec<String>, selected: usize },
}

/// The rows to draw, top to bottom, each at most as wide as the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screenful {
    pub rows: Vec<String>,
    /// Whether everything the learner asked for (a hint) is on screen in full: only then does
    /// a hint count as read.
    pub requested_in_full: bool,
}

/// One piece of the screen: some rows, shown or left out by priority.
struct Piece {
    priority: Priority,
    rows: Vec<String>,
    /// Whether part of it may be shown (a long explanation), or all or nothing (a key row).
    cuttable: bool,
    /// Whether it belongs to the body, where the "more lines" row goes after the last piece.
    body: bool,
}

/// Who gets rows first: the frame's must-haves, then what was asked for, then the key row,
/// then the rest of the report by its rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Priority {
    Must,
    Requested,
    Keys,
    Report(Rank),
}

impl From<Rank> for Priority {
    fn from(rank: Rank) -> Self {
        match rank {
            Rank::Essential => Self::Must,
            Rank::Requested => Self::Requested,
            other => Self::Report(other),
        }
    }
}

const MUST: Priority = Priority::Must;
const KEYS: Priority = Priority::Keys;
const SPACING: Priority = Priority::Report(Rank::Spacing);

/// Lays out `view` on a terminal of `size`.
pub fn layout(view: &View, size: Size) -> Screenful {
    let width = size.columns.max(10);
    let height = size.rows.max(1);
    let mut pieces = vec![
        whole(MUST, fit(&title(view, width), width)),
        whole(MUST, exercise_row(view, width)),
        whole(SPACING, String::new()),
    ];
    let body_at = pieces.len();
    let mut requested = 0;
    match &view.body {
        Body::Report(report) => {
            for block in &report.blocks {
                requested += usize::from(block.rank == Rank::Requested);
                let rows: Vec<String> = block
                    .lines
                    .iter()
                    .flat_map(|line| line.rows(Some(width)))
                    .collect();
                pieces.push(Piece {
                    priority: block.rank.into(),
                    cuttable: block.rank != Rank::Spacing,
                    body: true,
                    rows,
                });
            }
        }
        Body::List { .. } => {}
    }
    let footer_at = pieces.len();
    pieces.push(whole(SPACING, String::new()));
    if let Some(notice) = &view.notice {
        let rows = Line::words("", style(notice).yellow().to_string()).rows(Some(width));
        pieces.push(Piece {
            priority: MUST,
            rows,
            cuttable: true,
            body: false,
        });
    }
    pieces.push(whole(MUST, fit(&view.status, width)));
    let keys = view
        .keys
        .iter()
        .find(|k| display_width(k) <= width)
        .or(view.keys.last())
        .map(|k| fit(&style(k).dim().to_string(), width))
        .unwrap_or_default();
    pieces.push(whole(KEYS, keys));

    if let Body::List { rows, selected } = &view.body {
        let fixed: usize = pieces
            .iter()
            .filter(|p| p.priority != SPACING)
            .map(|p| p.rows.len())
            .sum();
        let room = height.saturating_sub(fixed).max(1);
        let start = selected
            .saturating_sub(room - 1)
            .min(rows.len().saturating_sub(room));
        let shown: Vec<String> = rows
            .iter()
            .skip(start)
            .take(room)
            .map(|r| fit(r, width))
            .collect();
        pieces.insert(
            body_at,
            Piece {
                priority: MUST,
                rows: shown,
                cuttable: true,
                body: true,
            },
        );
    }

    let hidden = |given: &[usize], which: &dyn Fn(&Piece) -> bool| -> usize {
        pieces
            .iter()
            .zip(given)
            .filter(|(p, _)| which(p))
            .map(|(p, g)| p.rows.len() - g)
            .sum()
    };
    let given = allocate(&pieces, height);
    let (given, more) = if hidden(&given, &|p| p.priority != SPACING) == 0 {
        (given, None)
    } else {
        let given = allocate(&pieces, height.saturating_sub(1));
        let all = hidden(&given, &|p| p.priority != SPACING);
        let asked = hidden(&given, &|p| p.priority == Priority::Requested && p.body);
        let text = if asked > 0 {
            format!("… {asked} more lines: enlarge the terminal")
        } else {
            format!(
                "… {all} more lines: a taller terminal shows them, and so does `{}`",
                view.full_verdict
            )
        };
        (given, Some(fit(&style(text).dim().to_string(), width)))
    };
    let requested_in_full = requested == 0
        || pieces
            .iter()
            .zip(&given)
            .filter(|(p, _)| p.priority == Priority::Requested && p.body)
            .all(|(p, g)| *g == p.rows.len());

    let last_body = pieces[..footer_at]
        .iter()
        .zip(&given)
        .rposition(|(p, g)| p.body && *g > 0)
        .unwrap_or(body_at.saturating_sub(1));
    let mut rows = Vec::with_capacity(height);
    for (index, (piece, count)) in pieces.iter().zip(&given).enumerate() {
        rows.extend(piece.rows.iter().take(*count).cloned());
        if index == last_body {
            rows.extend(more.clone());
        }
    }
    rows.truncate(height);
    Screenful {
        rows,
        requested_in_full,
    }
}

fn whole(priority: Priority, row: String) -> Piece {
    Piece {
        priority,
        rows: vec![row],
        cuttable: false,
        body: false,
    }
}

/// How many rows each piece gets out of `height`, by priority, then in reading order.
fn allocate(pieces: &[Piece], height: usize) -> Vec<usize> {
    let mut given = vec![0; pieces.len()];
    let mut left = height;
    let mut priorities: Vec<Priority> = pieces.iter().map(|p| p.priority).collect();
    priorities.sort();
    priorities.dedup();
    for priority in priorities {
        // Within a priority, rows that stand whole (the status row) before long text (a notice).
        let mut order: Vec<usize> = (0..pieces.len())
            .filter(|&i| pieces[i].priority == priority)
            .collect();
        order.sort_by_key(|&i| pieces[i].cuttable);
        for index in order {
            let piece = &pieces[index];
            let want = piece.rows.len();
            given[index] = if want <= left {
                want
            } else if priority == MUST || (piece.cuttable && left >= 2) {
                // Part of a block, but not a lone heading row ("output:") without its content.
                left
            } else {
                0
            };
            left -= given[index];
        }
    }
    given
}

/// `row` cut to `width` columns (colour codes kept, closed at the end).
fn fit(row: &str, width: usize) -> String {
    if display_width(row) <= width {
        return row.to_owned();
    }
    console::truncate_str(row, width, "…").into_owned()
}

fn title(view: &View, width: usize) -> String {
    let name = style("asynclings watch").bold().to_string();
    let count = format!("{}/{} done", view.done, view.total);
    let room = width.saturating_sub(display_width("asynclings watch") + count.len() + 4);
    let bar_width = room.min(24);
    if bar_width < 6 {
        return format!("{name}  {count}");
    }
    let filled = (view.done * bar_width).checked_div(view.total).unwrap_or(0);
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(bar_width - filled));
    format!("{name}  {}  {count}", style(bar).cyan())
}

/// The chapter, the exercise and its file (a link where the terminal has them), in the longest
/// form that fits.
fn exercise_row(view: &View, width: usize) -> String {
    let name = style(&view.exercise).bold().to_string();
    let path = match &view.link {
        Some(url) => format!(
            "\u{1b}]8;;{url}\u{1b}\\{}\u{1b}]8;;\u{1b}\\",
            style(&view.path).underlined()
        ),
        None => style(&view.path).underlined().to_string(),
    };
    let forms = [
        format!("{} › {name}  {path}", view.chapter),
        format!("{name}  {path}"),
    ];
    forms
        .into_iter()
        .find(|row| display_width(row) <= width)
        .unwrap_or_else(|| fit(&name, width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Flow;

    fn strip(screen: &Screenful) -> String {
        screen
            .rows
            .iter()
            .map(|r| console::strip_ansi_codes(r).trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A failing grade like wakers4's as shipped: four failures with long explanations, one
    /// pass, some output.
    fn failing_report(hint: Option<&str>) -> Report {
        let mut report = Report::default();
        report.push(Rank::Essential, Line::words("✗ ", "fails 4 of 5 checks"));
        report.gap();
        let checks = [
            (
                "brews espresso and milk at the same time",
                "brew_flat_white had not finished 2.5 s after starting a 0.6 s and a 0.4 s timer: a timer never completes once woken (see the other checks)",
            ),
            (
                "rings after its duration and wakes the task",
                "woken 6 times, but every poll still returned Pending: nothing marks the timer as rung, so it never completes; let the thread set a flag in state it shares with the future before it wakes the task",
            ),
            (
                "starts counting at its first poll",
                "the timer started counting when it was created, not at its first poll",
            ),
        ];
        for (index, (name, message)) in checks.iter().enumerate() {
            let rank = if index == 0 {
                Rank::FirstFailure
            } else {
                Rank::OtherFailure
            };
            report.push(rank, Line::words("  ✗ ", *name));
            report.push_lines(rank, "      ", message, Flow::Words);
            report.push(Rank::Detail, Line::words("      ", "output:"));
            report.push(Rank::Detail, Line::verbatim("      │ ", "polled once"));
        }
        report.push(Rank::Passed, Line::words("  ✓ ", "is a future"));
        if let Some(hint) = hint {
            report.gap();
            report.push(Rank::Requested, Line::words("", "Hint 2 of 3:"));
            report.push_lines(Rank::Requested, "", hint, Flow::Words);
        }
        report
    }

    const HINT: &str = "The thread you spawn must record that the time is up before it wakes the task: share an Arc<Mutex<State>> between the future and the thread, with a `rang` flag and the waker of the latest poll. poll checks the flag first.";

    fn view(body: Body, notice: Option<&str>) -> View {
        View {
            exercise: "wakers4_timer_future".into(),
            chapter: "02_wakers".into(),
            path: "exercises/02_wakers/wakers4_timer_future.rs".into(),
            link: None,
            done: 5,
            total: 13,
            body,
            notice: notice.map(str::to_owned),
            status: "fail in 3.48 s · save the file to grade it again".into(),
            keys: vec![
                "n next · h hint · l list · r regrade · x reset · s solution · q quit".into(),
                "n next · h hint · l list · x reset · q quit".into(),
                "n h l r x s q".into(),
            ],
            full_verdict: "asynclings run wakers4_timer_future".into(),
        }
    }

    fn sizes() -> [Size; 3] {
        [(80, 24), (60, 15), (40, 8)].map(|(columns, rows)| Size { columns, rows })
    }

    #[test]
    fn a_failing_exercise_with_a_hint_open() {
        let view = view(Body::Report(failing_report(Some(HINT))), None);
        for size in sizes() {
            let screen = layout(&view, size);
            assert!(screen.rows.len() <= size.rows);
            assert!(
                screen.rows.iter().all(|r| display_width(r) <= size.columns),
                "{size:?}"
            );
            insta::assert_snapshot!(
                format!("hint_open_{}x{}", size.columns, size.rows),
                strip(&screen)
            );
        }
    }

    #[test]
    fn a_failing_exercise_without_a_hint() {
        let view = view(Body::Report(failing_report(None)), None);
        for size in sizes() {
            let screen = layout(&view, size);
            assert!(screen.rows.len() <= size.rows);
            insta::assert_snapshot!(
                format!("failing_{}x{}", size.columns, size.rows),
                strip(&screen)
            );
        }
    }

    #[test]
    fn the_requested_hint_comes_before_the_rest_of_the_verdict() {
        let view = view(Body::Report(failing_report(Some(HINT))), None);
        let screen = layout(
            &view,
            Size {
                columns: 80,
                rows: 24,
            },
        );
        let text = strip(&screen);
        assert!(screen.requested_in_full, "{text}");
        assert!(text.contains("poll checks the flag first."), "{text}");
        assert!(text.contains("brews espresso"), "{text}");
    }

    #[test]
    fn a_hint_that_does_not_fit_is_not_in_full() {
        let view = view(Body::Report(failing_report(Some(HINT))), None);
        let screen = layout(
            &view,
            Size {
                columns: 40,
                rows: 8,
            },
        );
        assert!(!screen.requested_in_full, "{}", strip(&screen));
        assert!(strip(&screen).contains("Hint 2 of 3"), "{}", strip(&screen));
        assert!(strip(&screen).contains("more lines: enlarge the terminal"));
    }

    #[test]
    fn the_header_and_the_notice_always_show() {
        let notice = "Reset wakers4_timer_future to its shipped version (your changes to it are lost)? y / n";
        let view = view(Body::Report(failing_report(Some(HINT))), Some(notice));
        for size in sizes() {
            let text = strip(&layout(&view, size));
            assert!(text.starts_with("asynclings watch"), "{size:?}\n{text}");
            assert!(text.contains("wakers4_timer_future"), "{size:?}\n{text}");
            assert!(text.contains("y / n"), "{size:?}\n{text}");
            assert!(text.contains("fail in 3.48 s"), "{size:?}\n{text}");
        }
    }

    #[test]
    fn the_list_keeps_the_selection_in_view() {
        let rows: Vec<String> = (1..=30).map(|n| format!("{n:>3} exercise{n}")).collect();
        let view = view(Body::List { rows, selected: 25 }, None);
        let text = strip(&layout(
            &view,
            Size {
                columns: 40,
                rows: 8,
            },
        ));
        assert!(text.contains(" 26 exercise26"), "{text}");
    }

    #[test]
    fn a_link_is_used_only_when_given_and_counts_its_text_only() {
        let mut with_link = view(Body::Report(failing_report(None)), None);
        with_link.link = Some("file:///home/me/my%20course/x.rs".into());
        let screen = layout(
            &with_link,
            Size {
                columns: 80,
                rows: 24,
            },
        );
        assert!(screen.rows[1].contains("\u{1b}]8;;file:///home/me/my%20course/x.rs"));
        assert!(display_width(&screen.rows[1]) <= 80);
        let without = layout(
            &view(Body::Report(failing_report(None)), None),
            Size {
                columns: 80,
                rows: 24,
            },
        );
        assert!(!without.rows.concat().contains("\u{1b}]8"));
    }
}
