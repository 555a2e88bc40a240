//! What `run`, `list` and the results documents print for the learner: untrusted text made
//! inert, the compiler's warnings, the command the learner actually ran, and a reader that
//! goes away early.

use std::process::Stdio;

use crate::support::{self, Invocation, Pack, asynclings_command, stdout};

const HOSTILE: &str = "pub fn answer() -> u32 {\n    print!(\"\\x1b[2J\\x1b]2;PWNED\\x07\\tTAB\\r\\n\");\n    41\n}\n";

#[test]
fn run_and_the_results_documents_show_escape_sequences_as_text() {
    let pack = Pack::copy("basic");
    pack.write("exercises/01_demo/fails_check.rs", HOSTILE);
    let output = pack
        .asynclings(&["run", "fails_check"])
        .status(1)
        .stdout_has("␛[2J␛]2;PWNED␇  TAB")
        .run();
    assert!(!stdout(&output).contains('\u{1b}'), "{}", stdout(&output));

    let output = pack
        .asynclings(&["verify", "--chapter", "01_demo", "--format", "json"])
        .status(1)
        .run();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entry = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "fails_check")
        .unwrap();
    let text = entry.to_string();
    assert!(
        !text.contains("\\u001b") && !text.contains("\\u0007"),
        "{text}"
    );
    assert!(
        entry["checks"][0]["output"]
            .as_str()
            .unwrap()
            .contains("␛[2J")
    );
    assert!(entry["verdict"].as_str().unwrap().contains("␛]2;PWNED␇"));

    let output = pack
        .asynclings(&["verify", "--chapter", "01_demo", "--format", "junit"])
        .status(1)
        .run();
    assert!(stdout(&output).contains("␛[2J"), "{}", stdout(&output));
}

#[test]
fn a_failing_grade_shows_the_compilers_warnings_about_the_learners_file() {
    let pack = Pack::copy("basic");
    pack.write(
        "exercises/01_demo/fails_check.rs",
        "async fn record() {}\n\npub fn answer() -> u32 {\n    record();\n    41\n}\n",
    );
    pack.asynclings(&["run", "fails_check"])
        .status(1)
        .stdout_has("The compiler warns about your file (1):")
        .stdout_has("unused implementer of `Future` that must be used")
        .stdout_has("exercises/01_demo/fails_check.rs:4:5")
        .run();
}

#[test]
fn messages_name_cargo_run_when_that_is_how_asynclings_was_started() {
    let pack = Pack::copy("basic");
    // What `cargo run` tells the program it runs: cargo itself, the package and its manifest.
    let manifest = Pack::root().join("Cargo.toml");
    let manifest = manifest.to_str().unwrap();
    let cargo_run = |invocation: Invocation| {
        invocation
            .env("CARGO", "cargo")
            .env("CARGO_PKG_NAME", "asynclings")
            .env("CARGO_MANIFEST_PATH", manifest)
    };
    // From the course's folder, outside asynclings' repository: the manifest is named.
    let output = cargo_run(pack.asynclings(&["run", "fails_check"]))
        .status(1)
        .stdout_has(&format!(
            "Stuck? `cargo run -q --manifest-path {manifest} -- hint fails_check`"
        ))
        .run();
    assert!(!stdout(&output).contains("`asynclings hint"));
    // Inside asynclings' repository (which is a course too): plain `cargo run -q --`.
    cargo_run(Invocation::new(&Pack::root(), &["run", "no_such_exercise"]))
        .status(2)
        .stderr_has("`cargo run -q -- list` shows them all")
        .run();
    // `CARGO` alone (a cargo alias, a build script) is not `cargo run`: the path as typed.
    pack.asynclings(&["run", "fails_check"])
        .env("CARGO", "cargo")
        .status(1)
        .stdout_has(&format!(
            "Stuck? `{}`",
            support::command("hint fails_check")
        ))
        .run();
}

#[test]
fn run_on_a_done_exercise_shows_what_the_solution_does_differently() {
    let pack = Pack::copy("basic");
    pack.write(
        "exercises/01_demo/passes.rs",
        &pack
            .read("exercises/01_demo/passes.rs")
            .replace("x * 2", "x + x"),
    );
    pack.asynclings(&["run", "passes"])
        .status(0)
        .stdout_has("What solutions/01_demo/passes.rs does differently")
        .stdout_has("-     x + x")
        .stdout_has("+     x * 2")
        .run();
}

#[test]
fn a_closed_stdout_ends_list_run_and_watch_quietly() {
    let pack = Pack::copy("basic");
    for (args, status) in [
        (&["list"][..], 0),
        (&["run", "fails_check"][..], 1),
        (&["run", "passes"][..], 0),
        (&["hint", "passes"][..], 0),
        (&["watch"][..], 0),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // Like `| head -1` after its line: nobody reads any more.
        drop(reader);
        let output = asynclings_command()
            .args(args)
            .current_dir(pack.path("."))
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
    // The grade's bookkeeping still happened.
    pack.asynclings(&["list"]).stdout_has("Progress: 1/4").run();
}
