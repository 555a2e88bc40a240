//! Text that asynclings did not write (a learner's program output, panic messages, compiler
//! messages) made safe to measure and to show: it is text, never terminal commands.
//!
//! Every character that a terminal would act on instead of printing is replaced by a visible
//! stand-in, so the learner still sees that it was there: C0 controls by their Unicode
//! "control picture" (ESC becomes `␛`, BEL `␇`, a lone carriage return `␍`), DEL by `␡`, C1
//! controls and the bidirectional overrides of "Trojan Source" (CVE-2021-42574) by `<U+XXXX>`.
//! Tabs are expanded to the next multiple of [`TAB_STOP`] columns, and CRLF line ends become
//! plain newlines. Newlines are kept: callers lay out lines themselves.
//!
//! The only sequences ever passed through are SGR colour codes (`ESC [ digits;… m`) and only
//! where the caller asks for them ([`compiler_rendering`]): rustc's coloured rendering of its
//! own diagnostics. SGR sets colours and weights; it cannot move the cursor, clear the screen,
//! set the title, write the clipboard or open a link.

use unicode_width::UnicodeWidthChar;

/// Tab stops every 8 columns, as terminals set them.
pub const TAB_STOP: usize = 8;

/// `text` with every terminal control made visible and inert, and tabs expanded.
pub fn inert(text: &str) -> String {
    clean(text, false)
}

/// rustc's coloured rendering of a diagnostic: its SGR colour codes kept, everything else that
/// a terminal would act on made inert as by [`inert`] (a string literal in the learner's code
/// can hold an escape sequence, and rustc quotes source lines verbatim).
pub fn compiler_rendering(text: &str) -> String {
    clean(text, true)
}

fn clean(text: &str, keep_sgr: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\n' => {
                out.push('\n');
                column = 0;
            }
            '\r' if chars.peek().is_some_and(|&(_, next)| next == '\n') => {}
            '\t' => {
                let spaces = TAB_STOP - column % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            '\u{1b}' if keep_sgr && sgr_length(&text[at..]).is_some() => {
                let length = sgr_length(&text[at..]).unwrap_or(1);
                out.push_str(&text[at..at + length]);
                // Skip the rest of the sequence (its first byte, ESC, is consumed).
                while chars.peek().is_some_and(|&(next, _)| next < at + length) {
                    chars.next();
                }
            }
            c => {
                let shown = stand_in(c);
                column += shown.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
                out.push_str(&shown);
            }
        }
    }
    out
}

/// The byte length of the SGR sequence at the start of `text`, if it starts with one.
fn sgr_length(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("\u{1b}[")?;
    let parameters = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (rest.as_bytes().get(parameters) == Some(&b'm')).then_some(2 + parameters + 1)
}

/// What a character is shown as: itself, or a visible stand-in when a terminal would act on it.
fn stand_in(c: char) -> std::borrow::Cow<'static, str> {
    match c {
        // C0 controls: their control pictures, U+2400 to U+241F.
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c))
            .unwrap_or('\u{fffd}')
            .to_string()
            .into(),
        '\u{7f}' => "␡".into(),
        // C1 controls (CSI, OSC, DCS… in 8-bit form), bidirectional overrides and isolates,
        // and the separators some terminals treat as line ends.
        '\u{80}'..='\u{9f}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061c}'
        | '\u{2028}'
        | '\u{2029}' => format!("<U+{:04X}>", u32::from(c)).into(),
        c => c.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(inert("\u{1b}[2J\u{1b}[H"), "␛[2J␛[H");
        assert_eq!(
            inert("\u{1b}]8;;file:///etc\u{7}x\u{1b}]8;;\u{7}"),
            "␛]8;;file:///etc␇x␛]8;;␇"
        );
        assert_eq!(inert("\u{9b}31m"), "<U+009B>31m");
        assert_eq!(inert("bell\u{7} del\u{7f} nul\u{0}"), "bell␇ del␡ nul␀");
    }

    #[test]
    fn colours_are_not_kept_from_untrusted_text() {
        assert_eq!(inert("\u{1b}[31mred\u{1b}[0m"), "␛[31mred␛[0m");
    }

    #[test]
    fn line_ends_and_carriage_returns() {
        assert_eq!(inert("a\r\nb\n"), "a\nb\n");
        assert_eq!(inert("10%\r20%\r"), "10%␍20%␍");
    }

    #[test]
    fn tabs_expand_to_the_next_stop_in_display_columns() {
        assert_eq!(inert("a\tb"), "a       b");
        assert_eq!(inert("abcdefgh\tb"), "abcdefgh        b");
        assert_eq!(inert("\tx\n\ty"), "        x\n        y");
        // A wide character takes two columns.
        assert_eq!(inert("日\tx"), "日      x");
        // A control picture takes one.
        assert_eq!(inert("\u{7}\tx"), "␇       x");
    }

    #[test]
    fn trojan_source_controls_are_shown() {
        assert_eq!(
            inert("access\u{202e}nimda\u{2066}"),
            "access<U+202E>nimda<U+2066>"
        );
    }

    #[test]
    fn the_compiler_rendering_keeps_colour_codes_only() {
        let rendered =
            "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror\u{1b}[0m: x\n  |\tlet s = \"\u{1b}[2J\";";
        assert_eq!(
            compiler_rendering(rendered),
            "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror\u{1b}[0m: x\n  |     let s = \"␛[2J\";"
        );
        // Anything that is not a complete SGR sequence is inert.
        assert_eq!(compiler_rendering("\u{1b}[1;2H"), "␛[1;2H");
        assert_eq!(compiler_rendering("\u{1b}[31"), "␛[31");
        assert_eq!(compiler_rendering("\u{1b}[?25l"), "␛[?25l");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let text = "one poll took 2.0 s: it blocked the thread — ✓ ünïcödé";
        assert_eq!(inert(text), text);
    }
}
