//! `info.toml`: the ordered list of exercises and their settings.
//!
//! Every problem is reported as `path:line:column: message`, so an editor or terminal can jump
//! straight to it.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// The `format` this version of asynclings reads.
pub const FORMAT: u32 = 1;
const DEFAULT_TIME_LIMIT_SECS: u64 = 10;
const MAX_TIME_LIMIT_SECS: u64 = 600;
/// Resident memory a check's processes may use together, unless the exercise says otherwise.
const DEFAULT_MEMORY_LIMIT_MIB: u64 = 1024;
const MEMORY_LIMIT_MIB: std::ops::RangeInclusive<u64> = 16..=65536;
const DEFAULT_DEPENDENCIES: &str = "course/Cargo.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoFile {
    format: Spanned<u32>,
    dependencies: Option<Spanned<String>>,
    #[serde(default)]
    exercises: Vec<Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Spanned<String>,
    chapter: Spanned<String>,
    hints: Spanned<Vec<String>>,
    time_limit_secs: Option<Spanned<u64>>,
    memory_limit_mib: Option<Spanned<u64>>,
    #[serde(default)]
    clippy: bool,
}

/// One exercise as `info.toml` defines it.
#[derive(Debug, Clone)]
pub struct ExerciseInfo {
    pub name: String,
    pub chapter: String,
    pub hints: Vec<String>,
    pub time_limit: Duration,
    /// Resident memory of all of a check's processes together, in bytes.
    pub memory_limit: u64,
    pub clippy: bool,
    /// Where the entry starts in `info.toml`, for messages about it.
    pub defined_at: Location,
}

/// The parsed `info.toml`.
#[derive(Debug)]
pub struct Info {
    /// The Cargo manifest whose direct dependencies exercises and graders compile against.
    pub dependencies: PathBuf,
    pub exercises: Vec<ExerciseInfo>,
}

/// A position in `info.toml`.
#[derive(Debug, Clone)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// A problem in `info.toml`, located precisely.
#[derive(Debug)]
pub struct InfoError {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for InfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for InfoError {}

impl Info {
    /// Parses and validates `text`, read from `path` (used in messages; paths inside the file
    /// are relative to its folder).
    pub fn parse(path: &Path, text: &str) -> Result<Self, InfoError> {
        let locate = |span: Range<usize>| Location::of(path, text, span.start);
        let file: InfoFile = toml::from_str(text).map_err(|err| InfoError {
            at: locate(err.span().unwrap_or(0..0)),
            message: err.message().trim().to_owned(),
        })?;
        if *file.format.get_ref() != FORMAT {
            return Err(InfoError {
                at: locate(file.format.span()),
                message: format!(
                    "format {} is not supported by this asynclings (it reads format {FORMAT})",
                    file.format.get_ref()
                ),
            });
        }
        let mut seen = HashSet::new();
        let mut exercises = Vec::with_capacity(file.exercises.len());
        for entry in file.exercises {
            let defined_at = locate(entry.span());
            let entry = entry.into_inner();
            let fail = |span: Range<usize>, message: String| InfoError {
                at: locate(span),
                message,
            };
            let name = entry.name.get_ref();
            if !is_identifier(name) {
                return Err(fail(
                    entry.name.span(),
                    format!("exercise name `{name}` must be lowercase letters, digits and `_`"),
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(fail(
                    entry.name.span(),
                    format!("exercise `{name}` is defined twice"),
                ));
            }
            let chapter = entry.chapter.get_ref();
            if !is_chapter(chapter) {
                return Err(fail(
                    entry.chapter.span(),
                    format!(
                        "chapter `{chapter}` must look like `02_wakers` (two digits, `_`, a name)"
                    ),
                ));
            }
            if entry.hints.get_ref().is_empty()
                || entry.hints.get_ref().iter().any(|h| h.trim().is_empty())
            {
                return Err(fail(
                    entry.hints.span(),
                    format!("exercise `{name}` needs at least one hint, and no empty ones"),
                ));
            }
            let time_limit_secs = match &entry.time_limit_secs {
                None => DEFAULT_TIME_LIMIT_SECS,
                Some(secs) if (1..=MAX_TIME_LIMIT_SECS).contains(secs.get_ref()) => *secs.get_ref(),
                Some(secs) => {
                    return Err(fail(
                        secs.span(),
                        format!("time_limit_secs must be between 1 and {MAX_TIME_LIMIT_SECS}"),
                    ));
                }
            };
            let memory_limit_mib = match &entry.memory_limit_mib {
                None => DEFAULT_MEMORY_LIMIT_MIB,
                Some(mib) if MEMORY_LIMIT_MIB.contains(mib.get_ref()) => *mib.get_ref(),
                Some(mib) => {
                    return Err(fail(
                        mib.span(),
                        format!(
                            "memory_limit_mib must be between {} and {}",
                            MEMORY_LIMIT_MIB.start(),
                            MEMORY_LIMIT_MIB.end()
                        ),
                    ));
                }
            };
            exercises.push(ExerciseInfo {
                name: entry.name.into_inner(),
                chapter: entry.chapter.into_inner(),
                hints: entry.hints.into_inner(),
                time_limit: Duration::from_secs(time_limit_secs),
                memory_limit: memory_limit_mib << 20,
                clippy: entry.clippy,
                defined_at,
            });
        }
        let dependencies = file
            .dependencies
            .map_or_else(|| DEFAULT_DEPENDENCIES.to_owned(), Spanned::into_inner);
        Ok(Self {
            dependencies: PathBuf::from(dependencies),
            exercises,
        })
    }
}

impl Location {
    fn of(path: &Path, text: &str, offset: usize) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            path: path.to_owned(),
            line,
            column,
        }
    }
}

/// A valid exercise name: lowercase letters, digits and `_`, starting with a letter.
pub fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A valid chapter: two digits, `_`, an identifier (`02_wakers`).
pub fn is_chapter(chapter: &str) -> bool {
    let bytes = chapter.as_bytes();
    bytes.len() > 3
        && bytes[0].is_ascii_digit()
        && bytes[1].is_ascii_digit()
        && bytes[2] == b'_'
        && is_identifier(&chapter[3..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Info, String> {
        Info::parse(Path::new("info.toml"), text).map_err(|e| e.to_string())
    }

    const ONE: &str = r#"
format = 1

[[exercises]]
name = "intro1_await"
chapter = "00_intro"
hints = ["await it"]
"#;

    #[test]
    fn reads_an_exercise_with_defaults() {
        let info = parse(ONE).unwrap();
        let ex = &info.exercises[0];
        assert_eq!(ex.name, "intro1_await");
        assert_eq!(ex.time_limit, Duration::from_secs(10));
        assert_eq!(ex.memory_limit, 1 << 30);
        assert!(!ex.clippy);
        assert_eq!(ex.defined_at.line, 4);
        assert_eq!(info.dependencies, PathBuf::from("course/Cargo.toml"));
    }

    #[test]
    fn locates_a_syntax_error() {
        let err = parse("format = 1\n[[exercises]]\nname = \"x\nchapter = \"00_a\"\n").unwrap_err();
        assert!(err.starts_with("info.toml:3:"), "{err}");
    }

    #[test]
    fn rejects_unknown_keys_where_they_are() {
        let err = parse(&ONE.replace("hints", "hint")).unwrap_err();
        assert!(
            err.starts_with("info.toml:7:1: unknown field `hint`"),
            "{err}"
        );
    }

    #[test]
    fn rejects_duplicates_and_bad_values() {
        let twice = format!(
            "{ONE}\n[[exercises]]\nname = \"intro1_await\"\nchapter = \"00_intro\"\nhints = [\"h\"]\n"
        );
        assert_eq!(
            parse(&twice).unwrap_err(),
            "info.toml:10:8: exercise `intro1_await` is defined twice"
        );
        let chapter = parse(&ONE.replace("00_intro", "intro")).unwrap_err();
        assert!(chapter.contains("must look like `02_wakers`"), "{chapter}");
        let limit = parse(&format!("{ONE}time_limit_secs = 0\n")).unwrap_err();
        assert!(
            limit.contains("time_limit_secs must be between 1 and 600"),
            "{limit}"
        );
        let memory = parse(&format!("{ONE}memory_limit_mib = 1\n")).unwrap_err();
        assert!(
            memory.contains("memory_limit_mib must be between 16 and 65536"),
            "{memory}"
        );
        assert_eq!(
            parse(&format!("{ONE}memory_limit_mib = 256\n"))
                .unwrap()
                .exercises[0]
                .memory_limit,
            256 << 20
        );
        let hints = parse(&ONE.replace("[\"await it\"]", "[]")).unwrap_err();
        assert!(hints.contains("needs at least one hint"), "{hints}");
        let format = parse(&ONE.replace("format = 1", "format = 2")).unwrap_err();
        assert!(
            format.starts_with("info.toml:2:10: format 2 is not supported"),
            "{format}"
        );
    }
}
