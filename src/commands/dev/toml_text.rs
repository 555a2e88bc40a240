//! Editing TOML files as text, so an instructor's comments and layout survive (a round trip
//! through a TOML library would drop them): the tables of an array (`[[exercises]]` in
//! info.toml, `[[example]]` in Cargo.toml), one string value in one of them, a table taken out.
//! Callers parse the result again and compare it with what they meant to change, so a file
//! laid out in a way these helpers do not understand is refused, never damaged.

use std::ops::Range;

/// The lines of `text`, each with its line ending.
pub fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The line ranges of the `[[name]]` tables, in order: from the header line to the last line
/// of the table (blank and comment lines at its end, which introduce what follows, excluded).
pub fn tables(lines: &[&str], name: &str) -> Vec<Range<usize>> {
    let header = format!("[[{name}]]");
    let is_header = |line: &str| {
        line.trim_start()
            .strip_prefix(header.as_str())
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    };
    let mut tables = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        if !is_header(line) {
            continue;
        }
        let mut end = lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |offset| start + 1 + offset);
        while end > start + 1 && is_blank_or_comment(lines[end - 1]) {
            end -= 1;
        }
        tables.push(start..end);
    }
    tables
}

/// The line (in `table`) that sets `key` to a string, with that string.
pub fn string_value(lines: &[&str], table: &Range<usize>, key: &str) -> Option<(usize, String)> {
    table.clone().find_map(|index| {
        let (value, _) = value_span(lines[index], key)?;
        Some((index, value))
    })
}

/// `line` with the string value of `key` replaced by `value` (a comment after it is kept).
pub fn with_string_value(line: &str, key: &str, value: &str) -> Option<String> {
    let (_, span) = value_span(line, key)?;
    let quoted = toml::Value::String(value.to_owned()).to_string();
    Some(format!(
        "{}{quoted}{}",
        &line[..span.start],
        &line[span.end..]
    ))
}

/// `key = "value"` or `key = 'value'` on `line`: the value, and the byte span of its quoted
/// form. Strings with escapes are not understood (`None`).
fn value_span(line: &str, key: &str) -> Option<(String, Range<usize>)> {
    let indent = line.len() - line.trim_start().len();
    let rest = line[indent..].strip_prefix(key)?;
    let after_key = rest.trim_start();
    let after_equals = after_key.strip_prefix('=')?;
    let value = after_equals.trim_start();
    let start = line.len() - value.len();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let close = value[1..].find(quote)? + 1;
    let inner = &value[1..close];
    if quote == '"' && inner.contains('\\') {
        return None;
    }
    Some((inner.to_owned(), start..start + close + 1))
}

/// `lines` without the lines of `range`, and without the blank line that separated them from
/// what came before (so no double blank line is left behind).
pub fn without(lines: &[&str], range: &Range<usize>) -> String {
    let mut start = range.start;
    if start > 0 && lines[start - 1].trim().is_empty() {
        start -= 1;
    }
    let mut text = lines[..start].concat();
    text.push_str(&lines[range.end..].concat());
    text
}

pub fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim_start();
    line.is_empty() || line.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "format = 1\n\n[[exercises]]\nname = \"a\"  # first\nhints = []\n\n\
        # Chapter two.\n[[exercises]]\nname='b'\nhints = []\n\n[other]\nx = 1\n";

    #[test]
    fn finds_each_table_without_what_introduces_the_next() {
        let lines = lines(TEXT);
        let tables = tables(&lines, "exercises");
        assert_eq!(tables, [2..5, 7..10]);
        assert_eq!(
            string_value(&lines, &tables[1], "name"),
            Some((8, "b".to_owned()))
        );
        assert_eq!(string_value(&lines, &tables[0], "chapter"), None);
    }

    #[test]
    fn replaces_a_value_and_keeps_the_comment() {
        assert_eq!(
            with_string_value("name = \"a\"  # first\n", "name", "a2").as_deref(),
            Some("name = \"a2\"  # first\n")
        );
        assert_eq!(
            with_string_value("  name='b'\n", "name", "b2").as_deref(),
            Some("  name=\"b2\"\n")
        );
        assert_eq!(with_string_value("names = \"a\"\n", "name", "x"), None);
        assert_eq!(with_string_value("name = \"a\\\"\"\n", "name", "x"), None);
    }

    #[test]
    fn takes_a_table_out_with_its_separating_blank_line() {
        let lines = lines(TEXT);
        let tables = tables(&lines, "exercises");
        assert_eq!(
            without(&lines, &tables[0]),
            "format = 1\n\n# Chapter two.\n[[exercises]]\nname='b'\nhints = []\n\n[other]\nx = 1\n"
        );
        assert_eq!(
            without(&lines, &tables[1]),
            "format = 1\n\n[[exercises]]\nname = \"a\"  # first\nhints = []\n\n# Chapter two.\n\n[other]\nx = 1\n"
        );
    }
}
