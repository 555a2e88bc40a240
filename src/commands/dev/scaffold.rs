//! What `asynclings dev new` writes, and how `dev check` finds what is still to be written.
//!
//! Every placeholder carries [`MARKER`] followed by what to write in its place, so `dev check`
//! can name each unwritten file and say what belongs there. The placeholder grader also fails
//! on its own (a `todo!`), so an untouched exercise can never look finished.

use std::path::{Path, PathBuf};

use crate::course::{Course, Exercise, INFO_FILE, RIGHT_FIXES, WRONG_FIXES};

/// Marks a placeholder; the text after it says what to write.
pub const MARKER: &str = "asynclings:scaffold:";

/// The scaffold's wrong fixes (the course standard asks for two), named for what to do with
/// them.
pub const WRONG_FIX_STEMS: [&str; 2] = ["rename_after_the_mistake", "rename_after_another_mistake"];

/// The scaffold's right fix, named for what to do with it.
pub const RIGHT_FIX_STEM: &str = "rename_after_the_style";

/// What the course's dependency manifest offers the scaffolded hidden tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Crates {
    pub tokio: bool,
    pub grading: bool,
}

/// One scaffolded file.
pub struct File {
    pub path: PathBuf,
    pub contents: String,
    /// What it is, for the summary.
    pub role: &'static str,
}

/// The files of a new exercise `name` in `chapter` (and its README for a new chapter).
pub fn files(name: &str, chapter: &str, new_chapter: bool, crates: Crates) -> Vec<File> {
    let exercise_file = |folder: &str| Path::new(folder).join(chapter).join(format!("{name}.rs"));
    let mut files = vec![
        File {
            path: exercise_file("exercises"),
            contents: exercise(),
            role: "the learner's broken program",
        },
        File {
            path: exercise_file("solutions"),
            contents: solution(),
            role: "the solution, same public API",
        },
        File {
            path: exercise_file("tests/graders"),
            contents: grader(name, chapter, crates),
            role: "the hidden tests",
        },
    ];
    for (stem, role) in WRONG_FIX_STEMS.into_iter().zip([
        "a plausible wrong fix the hidden tests must reject",
        "another plausible wrong fix, a different mistake",
    ]) {
        files.push(File {
            path: Path::new(WRONG_FIXES)
                .join(chapter)
                .join(name)
                .join(format!("{stem}.rs")),
            contents: wrong_fix(),
            role,
        });
    }
    files.push(File {
        path: Path::new(RIGHT_FIXES)
            .join(chapter)
            .join(name)
            .join(format!("{RIGHT_FIX_STEM}.rs")),
        contents: right_fix(),
        role: "a correct alternative in another style, which must pass",
    });
    if new_chapter {
        files.push(File {
            path: Path::new("exercises").join(chapter).join("README.md"),
            contents: readme(chapter),
            role: "the new chapter's introduction",
        });
    }
    files
}

fn exercise() -> String {
    format!(
        "//! TODO: the story. What this code is for, what goes wrong in async terms (without giving\n\
         //! the fix away), and \"Done when: ...\", the behaviour the hidden tests check.\n\
         // {MARKER} write the learner's broken program here, then delete this line.\n\
         \n\
         /// The function the hidden tests call; the solution and wrong fixes keep its signature.\n\
         pub async fn run() -> u32 {{\n    \
             // TODO: the bug the learner fixes.\n    \
             0\n\
         }}\n"
    )
}

fn solution() -> String {
    format!(
        "//! The solved program: the exercise's story, fixed, so learners can compare.\n\
         // {MARKER} write the solution here (the exercise's public API), then delete this line.\n\
         \n\
         pub async fn run() -> u32 {{\n    \
             0\n\
         }}\n"
    )
}

fn grader(name: &str, chapter: &str, crates: Crates) -> String {
    let mut text = format!(
        "//! Hidden tests of `{name}`. Each test is a check the learner sees by name: name it after a\n\
         //! behaviour, and give every assertion a message that names the async mistake and the fix.\n\
         // {MARKER} write the hidden tests here, then delete this line.\n\
         \n"
    );
    if crates.grading {
        text.push_str("#[allow(unused_imports)] // delete once a helper is used\nuse asynclings_grading::prelude::*;\n\n");
    }
    text.push_str("use crate::exercise::run;\n\n");
    let todo = format!(
        "todo!(\"write the hidden tests of `{name}` in tests/graders/{chapter}/{name}.rs\");"
    );
    if crates.tokio {
        text.push_str(&format!(
            "#[tokio::test(start_paused = true)]\n\
             async fn replace_with_a_behaviour() {{\n    \
                 let _answer = run().await;\n    \
                 {todo}\n\
             }}\n"
        ));
    } else {
        text.push_str(&format!(
            "#[test]\n\
             fn replace_with_a_behaviour() {{\n    \
                 let _future = run();\n    \
                 {todo}\n\
             }}\n"
        ));
    }
    text
}

fn wrong_fix() -> String {
    format!(
        "//! Wrong fix: TODO the plausible mistake this file makes, and why it is wrong.\n\
         // expect fail: TODO words of the verdict that name the mistake\n\
         // {MARKER} write a whole learner file with one plausible wrong fix, set the expect line above (fail, compile-error or timeout), rename the file after the mistake, then delete this line.\n\
         \n\
         pub async fn run() -> u32 {{\n    \
             0\n\
         }}\n"
    )
}

fn right_fix() -> String {
    format!(
        "//! Correct alternative: TODO the style it shows, in a few words (say, \"a hand-written state machine\").\n\
         // {MARKER} write a whole learner file that solves the exercise in another style than the solution (a fix a learner could write), name that style in the first line, rename the file after it, then delete this line.\n\
         \n\
         pub async fn run() -> u32 {{\n    \
             0\n\
         }}\n"
    )
}

fn readme(chapter: &str) -> String {
    let number = &chapter[..2];
    format!(
        "# {number} · TODO the chapter's title\n\
         \n\
         <!-- {MARKER} explain the chapter's concepts, with links to the docs, then delete this line. -->\n"
    )
}

/// The placeholder hints of a new `info.toml` entry.
pub fn hints() -> [String; 3] {
    [
        format!("{MARKER} a nudge, with a link to the docs"),
        format!("{MARKER} more concrete"),
        format!("{MARKER} nearly the answer"),
    ]
}

/// Every placeholder still in `files` (course-relative) and in the hints of `exercises`:
/// `file: what to write`.
pub fn placeholders(course: &Course, files: &[PathBuf], exercises: &[&Exercise]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files {
        if let Some(what) = placeholder_in(&course.path(file)) {
            problems.push(format!("{}: {what}", file.display()));
        }
    }
    for exercise in exercises {
        if exercise.info.hints.iter().any(|h| h.contains(MARKER)) {
            problems.push(format!(
                "{INFO_FILE}: the hints of `{}` are placeholders: write 2-3 levels, from a nudge to nearly the answer",
                exercise.name()
            ));
        }
    }
    problems
}

/// What the placeholder in `path` asks for, if the file has one.
fn placeholder_in(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.contains(MARKER))?;
    let (_, what) = line.split_once(MARKER)?;
    Some(what.trim().trim_end_matches("-->").trim().to_owned())
}
