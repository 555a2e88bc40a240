//! Adding, renaming and taking out entries of `info.toml` as text, so the instructor's
//! comments and layout survive (a TOML round trip would drop them). Renames and removals are
//! parsed back and compared with what was meant before anything is written.

use std::path::Path;

use anyhow::{Result, bail};

use super::toml_text;
use crate::course::{INFO_FILE, Info};

/// The `[[exercises]]` entry of a new exercise.
pub fn entry(name: &str, chapter: &str, hints: &[String]) -> String {
    let mut text =
        format!("[[exercises]]\nname = \"{name}\"\nchapter = \"{chapter}\"\nhints = [\n");
    for hint in hints {
        text.push_str(&format!("  {},\n", toml::Value::String(hint.clone())));
    }
    text.push_str("]\n");
    text
}

/// `text` (which parsed as `info`) with `entry` added where the exercise belongs: after the
/// last exercise of `chapter`, or, for a new chapter, before the first exercise of a later
/// chapter (with the comments above it), else at the end.
pub fn insert(text: &str, info: &Info, chapter: &str, entry: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Line index (0-based) of each exercise's `[[exercises]]` header.
    let headers: Vec<usize> = info
        .exercises
        .iter()
        .map(|e| e.defined_at.line.saturating_sub(1))
        .collect();
    let last_of_chapter = info.exercises.iter().rposition(|e| e.chapter == chapter);
    let at = match last_of_chapter {
        Some(index) => {
            // The entry runs until the next header; its own trailing blank lines and the
            // comments that introduce the next entry stay where they are.
            let end = headers.get(index + 1).copied().unwrap_or(lines.len());
            let mut at = end;
            while at > headers[index] + 1 && is_blank_or_comment(lines[at - 1]) {
                at -= 1;
            }
            Insertion::After(at)
        }
        None => match info
            .exercises
            .iter()
            .position(|e| e.chapter.as_str() > chapter)
        {
            Some(index) => {
                let mut at = headers[index];
                while at > 0 && lines[at - 1].trim_start().starts_with('#') {
                    at -= 1;
                }
                Insertion::Before(at)
            }
            None => Insertion::After(lines.len()),
        },
    };
    let mut out = String::with_capacity(text.len() + entry.len() + 2);
    match at {
        Insertion::After(at) => {
            out.push_str(&lines[..at].concat());
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
            out.push_str(entry);
            out.push_str(&lines[at..].concat());
        }
        Insertion::Before(at) => {
            out.push_str(&lines[..at].concat());
            out.push_str(entry);
            out.push('\n');
            out.push_str(&lines[at..].concat());
        }
    }
    out
}

/// `text` (parsed as `info`) with the exercise `old` named `new`.
pub fn rename(path: &Path, text: &str, info: &Info, old: &str, new: &str) -> Result<String> {
    let lines = toml_text::lines(text);
    let table = entry_lines(&lines, info, old)?;
    let renamed = toml_text::string_value(&lines, &table, "name")
        .filter(|(_, value)| value == old)
        .and_then(|(line, _)| {
            Some((
                line,
                toml_text::with_string_value(lines[line], "name", new)?,
            ))
        });
    let Some((line, renamed)) = renamed else {
        bail!(
            "cannot find `name = \"{old}\"` in its entry at {INFO_FILE}:{}: rename it there by hand",
            table.start + 1
        );
    };
    let mut edited: Vec<&str> = lines.clone();
    edited[line] = &renamed;
    let edited = edited.concat();
    let expected: Vec<String> = info
        .exercises
        .iter()
        .map(|e| {
            if e.name == old {
                new.to_owned()
            } else {
                e.name.clone()
            }
        })
        .collect();
    verify(path, &edited, &expected)?;
    Ok(edited)
}

/// `text` (parsed as `info`) without the entry of `name`.
pub fn remove(path: &Path, text: &str, info: &Info, name: &str) -> Result<String> {
    let lines = toml_text::lines(text);
    let table = entry_lines(&lines, info, name)?;
    let edited = toml_text::without(&lines, &table);
    let expected: Vec<String> = info
        .exercises
        .iter()
        .filter(|e| e.name != name)
        .map(|e| e.name.clone())
        .collect();
    verify(path, &edited, &expected)?;
    Ok(edited)
}

/// The lines of `name`'s `[[exercises]]` table.
fn entry_lines(lines: &[&str], info: &Info, name: &str) -> Result<std::ops::Range<usize>> {
    let tables = toml_text::tables(lines, "exercises");
    let index = info.exercises.iter().position(|e| e.name == name);
    match index {
        Some(index) if tables.len() == info.exercises.len() => Ok(tables[index].clone()),
        _ => bail!(
            "cannot find the `[[exercises]]` entry of `{name}` in {INFO_FILE} as text (is it written another way?): edit it by hand"
        ),
    }
}

/// Refuses an edit that does not leave exactly the exercises `expected`, in that order, with
/// their chapters and settings untouched.
fn verify(path: &Path, edited: &str, expected: &[String]) -> Result<()> {
    let after = Info::parse(path, edited).map_err(|err| {
        anyhow::anyhow!("editing {INFO_FILE} would break it ({err}); nothing was changed")
    })?;
    let names: Vec<&str> = after.exercises.iter().map(|e| e.name.as_str()).collect();
    if names != expected {
        bail!(
            "editing {INFO_FILE} as text would not give the exercises meant; nothing was changed: edit it by hand"
        );
    }
    Ok(())
}

enum Insertion {
    /// After the first `n` lines, preceded by a blank line.
    After(usize),
    /// After the first `n` lines, followed by a blank line.
    Before(usize),
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim_start();
    line.is_empty() || line.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const COURSE: &str = "# The course.\nformat = 1\n\n\
        [[exercises]]\nname = \"a1\"\nchapter = \"01_a\"\nhints = [\"h\"]\n\n\
        # Chapter two starts here.\n[[exercises]]\nname = \"c1\"\nchapter = \"03_c\"\nhints = [\n  \"h\",\n]\n";

    fn add(text: &str, name: &str, chapter: &str) -> String {
        let info = Info::parse(Path::new("info.toml"), text).unwrap();
        let edited = insert(
            text,
            &info,
            chapter,
            &entry(name, chapter, &["a \"quoted\" hint".into()]),
        );
        let names: Vec<String> = Info::parse(Path::new("info.toml"), &edited)
            .unwrap_or_else(|e| panic!("{e}\n{edited}"))
            .exercises
            .into_iter()
            .map(|e| e.name)
            .collect();
        format!("{}\n---\n{edited}", names.join(" "))
    }

    #[test]
    fn goes_after_the_last_exercise_of_its_chapter_keeping_comments() {
        let edited = add(COURSE, "a2", "01_a");
        assert!(edited.starts_with("a1 a2 c1\n"), "{edited}");
        assert!(
            edited.contains("hints = [\"h\"]\n\n[[exercises]]\nname = \"a2\""),
            "{edited}"
        );
        assert!(
            edited.contains("]\n\n# Chapter two starts here.\n[[exercises]]\nname = \"c1\""),
            "{edited}"
        );
    }

    #[test]
    fn a_new_chapter_goes_in_numeric_order() {
        let edited = add(COURSE, "b1", "02_b");
        assert!(edited.starts_with("a1 b1 c1\n"), "{edited}");
        assert!(
            edited.contains("]\n\n# Chapter two starts here.\n"),
            "the comment stays with its entry: {edited}"
        );
        assert!(add(COURSE, "z1", "09_z").starts_with("a1 c1 z1\n"));
        assert!(add(COURSE, "c2", "03_c").starts_with("a1 c1 c2\n"));
        assert!(add("format = 1", "first", "00_intro").starts_with("first\n"));
    }

    fn names(text: &str) -> Vec<String> {
        Info::parse(Path::new("info.toml"), text)
            .unwrap()
            .exercises
            .into_iter()
            .map(|e| format!("{}/{}", e.chapter, e.name))
            .collect()
    }

    #[test]
    fn renames_an_entry_in_place() {
        let info = Info::parse(Path::new("info.toml"), COURSE).unwrap();
        let edited = rename(Path::new("info.toml"), COURSE, &info, "c1", "c9").unwrap();
        assert_eq!(names(&edited), ["01_a/a1", "03_c/c9"]);
        assert_eq!(edited, COURSE.replace("name = \"c1\"", "name = \"c9\""));
    }

    #[test]
    fn removes_an_entry_keeping_the_comments_around_it() {
        let info = Info::parse(Path::new("info.toml"), COURSE).unwrap();
        let edited = remove(Path::new("info.toml"), COURSE, &info, "a1").unwrap();
        assert_eq!(names(&edited), ["03_c/c1"]);
        assert!(
            edited.starts_with("# The course.\nformat = 1\n\n# Chapter two starts here.\n[[exercises]]\nname = \"c1\""),
            "{edited}"
        );
        let edited = remove(Path::new("info.toml"), COURSE, &info, "c1").unwrap();
        assert_eq!(names(&edited), ["01_a/a1"]);
    }

    #[test]
    fn refuses_what_it_cannot_edit_as_text() {
        let inline =
            "format = 1\nexercises = [{ name = \"a1\", chapter = \"01_a\", hints = [\"h\"] }]\n";
        let info = Info::parse(Path::new("info.toml"), inline).unwrap();
        let error = rename(Path::new("info.toml"), inline, &info, "a1", "a2").unwrap_err();
        assert!(error.to_string().contains("edit it by hand"), "{error}");
    }

    #[test]
    fn hints_are_quoted_as_toml() {
        let hints = ["a \"quoted\" \\ hint".to_owned(), "line\nbreak".to_owned()];
        let text = format!("format = 1\n\n{}", entry("x", "01_a", &hints));
        let info = Info::parse(Path::new("info.toml"), &text).unwrap();
        assert_eq!(info.exercises[0].hints, hints);
    }
}
