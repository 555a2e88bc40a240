//! docs/adding-an-exercise.md, followed step by step: every `sh` block runs (each line must
//! succeed), every block with `file=PATH` is written, the `entry=NAME` block replaces that
//! exercise's entry in info.toml. The guide ends with `dev check`, which must call the course
//! honest.

use std::path::Path;
use std::process::Command;

use crate::support::Pack;

struct Block {
    info: String,
    body: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push(Block {
            info: info.to_owned(),
            body: body.join("\n") + "\n",
        });
    }
    blocks
}

/// Replaces the `[[exercises]]` entry named `name` (through its closing `]`) with `entry`.
fn replace_entry(info: &str, name: &str, entry: &str) -> String {
    let name_at = info
        .find(&format!("name = \"{name}\"\n"))
        .unwrap_or_else(|| panic!("no entry {name} in\n{info}"));
    let start = info[..name_at].rfind("[[exercises]]").unwrap();
    let end = name_at + info[name_at..].find("\n]\n").unwrap() + 3;
    format!("{}{entry}{}", &info[..start], &info[end..])
}

fn run(course: &Path, line: &str) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_asynclings"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .args(["-c", line])
        .current_dir(course)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("ASYNCLINGS_COURSE")
        // See support::asynclings_command.
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`{line}` failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_adding_an_exercise_guide_works_as_written() {
    let guide = std::fs::read_to_string(Pack::root().join("docs/adding-an-exercise.md")).unwrap();
    // An honest course that uses this repository's dependencies (tokio, asynclings-grading).
    let pack = Pack::copy("lints");
    let mut commands = Vec::new();
    let mut written = 0;
    for block in blocks(&guide) {
        let mut words = block.info.split_whitespace();
        let language = words.next().unwrap_or("");
        let attribute = words.next().and_then(|w| w.split_once('='));
        match (language, attribute) {
            ("sh", None) => {
                for line in block.body.lines().filter(|l| !l.trim().is_empty()) {
                    run(&pack.path(""), line);
                    commands.push(line.to_owned());
                }
            }
            (_, Some(("file", path))) => {
                pack.write(path, &block.body);
                written += 1;
            }
            ("toml", Some(("entry", name))) => {
                let info = replace_entry(&pack.read("info.toml"), name, &block.body);
                pack.write("info.toml", &info);
                written += 1;
            }
            _ => {}
        }
    }
    assert_eq!(
        written, 8,
        "exercise, solution, grader, two wrong fixes, right fix, entry, README"
    );
    assert!(
        commands[0].starts_with("asynclings dev new "),
        "{commands:?}"
    );
    assert_eq!(
        commands.last().map(String::as_str),
        Some("asynclings dev check"),
        "the guide ends by proving the course honest"
    );
    // The faster loop is in the guide: single files, then the exercise alone, before the rest.
    for step in [
        "asynclings dev check solutions/",
        "asynclings dev check tests/wrong_fixes/",
        "asynclings dev check tests/right_fixes/",
        "asynclings dev check join1_breakfast",
    ] {
        assert!(
            commands.iter().any(|c| c.starts_with(step)),
            "the guide never runs `{step}…`: {commands:?}"
        );
    }
    // What the guide built is what it says: the learner's file fails for the reason taught.
    pack.asynclings(&["run", "join1_breakfast"])
        .status(1)
        .stdout_has("the toast and the coffee were made one after the other")
        .run();
}
