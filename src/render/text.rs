//! Text laid out for a terminal: a [`Report`] is blocks of logical [`Line`]s, each block ranked
//! by how much the learner needs it; a line becomes rows when it is wrapped to a width.
//!
//! Words wrap with a hanging indent (`textwrap`): a check's explanation continues under its
//! first word, not at column 0. Verbatim lines (compiler output, program output, a diff) are
//! cut at the width instead, keeping their spacing. Colour (SGR) codes count zero columns, and a
//! colour that spans a row break is closed at the end of the row and re-opened on the next one,
//! so every row stands on its own.

use std::fmt::Write as _;

use textwrap::core::display_width;

/// How much the learner needs a block, most first. Watch gives screen rows in this order and
/// shows what got rows in the report's own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// The verdict's headline.
    Essential,
    /// What the learner asked for: a hint, the solution.
    Requested,
    /// The first thing that failed: its check and explanation, or the first compile error.
    FirstFailure,
    /// Every other failure.
    OtherFailure,
    /// The compiler's warnings about the learner's file.
    Warning,
    /// Program output, panic locations.
    Detail,
    /// Checks that passed.
    Passed,
    /// Blank separator rows.
    Spacing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Prose: wrapped at spaces.
    Words,
    /// Preformatted: cut at the width, spacing kept.
    Verbatim,
}

/// One logical line: a styled lead (such as `  ✗ `) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub lead: String,
    /// The indent of continuation rows, in columns.
    pub hang: usize,
    pub text: String,
    pub flow: Flow,
}

impl Line {
    /// Prose after `lead`; continuation rows line up under the text.
    pub fn words(lead: impl Into<String>, text: impl Into<String>) -> Self {
        let lead = lead.into();
        Self {
            hang: display_width(&lead),
            lead,
            text: text.into(),
            flow: Flow::Words,
        }
    }

    /// Preformatted text after `lead`; continuation rows line up under the text.
    pub fn verbatim(lead: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            flow: Flow::Verbatim,
            ..Self::words(lead, text)
        }
    }

    pub fn blank() -> Self {
        Self::words("", "")
    }

    /// The rows this line takes at `width` columns (unwrapped when `None`).
    pub fn rows(&self, width: Option<usize>) -> Vec<String> {
        let Some(width) = width else {
            return vec![format!("{}{}", self.lead, self.text)];
        };
        let width = width.max(1);
        // A hang that leaves no room for text is dropped rather than looping on empty rows.
        let hang = if self.hang + 8 > width { 0 } else { self.hang };
        let rows = match self.flow {
            Flow::Words => {
                let indent = " ".repeat(hang);
                // First fit: predictable rows, and no pass over the whole paragraph per redraw.
                let options = textwrap::Options::new(width)
                    .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
                    .initial_indent(&self.lead)
                    .subsequent_indent(&indent);
                let rows: Vec<String> = textwrap::wrap(&self.text, options)
                    .into_iter()
                    .map(|row| row.into_owned())
                    .collect();
                if rows.is_empty() {
                    vec![self.lead.trim_end().to_owned()]
                } else {
                    rows
                }
            }
            Flow::Verbatim => cut(&self.lead, &self.text, hang, width),
        };
        carry_colours(rows)
    }
}

/// Rows of at most `width` columns: `lead` and `text`, continued after `hang` spaces.
fn cut(lead: &str, text: &str, hang: usize, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = lead.to_owned();
    let mut used = display_width(lead);
    if used >= width {
        rows.push(std::mem::replace(&mut row, " ".repeat(hang)));
        used = hang;
    }
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(length) = sgr_at(rest) {
            row.push_str(&rest[..length]);
            rest = &rest[length..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        let columns = display_width(c.encode_utf8(&mut [0; 4]));
        if used + columns > width && used > hang {
            rows.push(std::mem::replace(&mut row, " ".repeat(hang)));
            used = hang;
        }
        row.push(c);
        used += columns;
        rest = &rest[c.len_utf8()..];
    }
    rows.push(row.trim_end_matches(' ').to_owned());
    rows
}

/// The length of the SGR sequence (`ESC [ digits;… m`) at the start of `text`, if any.
fn sgr_at(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("\u{1b}[")?;
    let parameters = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (rest.as_bytes().get(parameters) == Some(&b'm')).then_some(parameters + 3)
}

/// Closes the colours still open at the end of each row and re-opens them on the next.
fn carry_colours(rows: Vec<String>) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut carried = Vec::with_capacity(rows.len());
    for row in rows {
        let mut out = open.concat();
        let mut rest = row.as_str();
        while !rest.is_empty() {
            match sgr_at(rest) {
                Some(length) => {
                    let code = &rest[..length];
                    if code == "\u{1b}[0m" || code == "\u{1b}[m" {
                        open.clear();
                    } else {
                        open.push(code.to_owned());
                    }
                    out.push_str(code);
                    rest = &rest[length..];
                }
                None => {
                    let c = rest.chars().next().unwrap_or(' ');
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !open.is_empty() {
            out.push_str("\u{1b}[0m");
        }
        carried.push(out);
    }
    carried
}

/// Lines that are shown or left out together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub rank: Rank,
    pub lines: Vec<Line>,
}

/// A verdict (or any text for the learner) as ranked blocks, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub blocks: Vec<Block>,
}

impl Report {
    /// Adds `line` to the last block if it has the same rank, else to a new block.
    pub fn push(&mut self, rank: Rank, line: Line) {
        match self.blocks.last_mut() {
            Some(block) if block.rank == rank => block.lines.push(line),
            _ => self.blocks.push(Block {
                rank,
                lines: vec![line],
            }),
        }
    }

    /// A blank separator row (dropped first when space is short).
    pub fn gap(&mut self) {
        self.push(Rank::Spacing, Line::blank());
    }

    /// Every line of `text` after `lead` (the first) and as many spaces (the others).
    pub fn push_lines(&mut self, rank: Rank, lead: &str, text: &str, flow: Flow) {
        let indent = " ".repeat(display_width(lead));
        for (index, line) in text.lines().enumerate() {
            let lead = if index == 0 { lead } else { &indent };
            self.push(
                rank,
                match flow {
                    Flow::Words => Line::words(lead, line),
                    Flow::Verbatim => Line::verbatim(lead, line),
                },
            );
        }
    }

    pub fn append(&mut self, other: Report) {
        for block in other.blocks {
            for line in block.lines {
                self.push(block.rank, line);
            }
        }
    }

    /// The whole report as text, wrapped to `width` columns (unwrapped when `None`).
    pub fn text(&self, width: Option<usize>) -> String {
        let mut out = String::new();
        for line in self.blocks.iter().flat_map(|b| &b.lines) {
            for row in line.rows(width) {
                let _ = writeln!(out, "{}", row.trim_end_matches(' '));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_with_a_hanging_indent() {
        let line = Line::words("  ✗ ", "one poll took 2.0 s: it blocked the thread");
        assert_eq!(
            line.rows(Some(24)),
            [
                "  ✗ one poll took 2.0 s:",
                "    it blocked the",
                "    thread"
            ]
        );
        assert_eq!(
            line.rows(None),
            ["  ✗ one poll took 2.0 s: it blocked the thread"]
        );
    }

    #[test]
    fn verbatim_lines_are_cut_and_keep_their_spacing() {
        let line = Line::verbatim("  │ ", "a  b   c d e f g");
        assert_eq!(line.rows(Some(12)), ["  │ a  b   c", "     d e f g"]);
    }

    #[test]
    fn colours_do_not_count_and_are_reopened_after_a_break() {
        let line = Line::words("", "\u{1b}[1mbold words here\u{1b}[0m after");
        assert_eq!(
            line.rows(Some(10)),
            [
                "\u{1b}[1mbold words\u{1b}[0m",
                "\u{1b}[1mhere\u{1b}[0m after"
            ]
        );
    }

    #[test]
    fn a_narrow_width_still_makes_progress() {
        let line = Line::words("      ", "supercalifragilistic");
        let rows = line.rows(Some(8));
        assert!(rows.iter().all(|r| display_width(r) <= 8), "{rows:?}");
        assert_eq!(rows.concat().replace(' ', ""), "supercalifragilistic");
    }
}
