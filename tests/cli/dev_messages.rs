//! Messages an instructor meets while writing a course: none suggests a command that discards
//! work without saying so, restores name exactly the files that differ in the course's own
//! layout, a broken grader is the course's fault, and suggested commands are ones the user can
//! run as they started asynclings.

use std::path::Path;
use std::process::Command;

use crate::support::{self, Invocation, Pack};

fn commit(pack: &Pack, message: &str) {
    pack.sh(&format!(
        "git add -A && git -c user.name=t -c user.email=t@t commit -qm '{message}'"
    ));
}

#[test]
fn a_new_grader_before_dev_seal_is_unsealed_not_tampered() {
    let pack = Pack::copy("standard");
    pack.asynclings(&["dev", "new", "whisper", "--chapter", "02_words"])
        .status(0)
        .run();
    pack.asynclings(&["run", "whisper"])
        .status(1)
        .stdout_has("✗ hidden files are not sealed yet, so a grade could not be trusted:")
        .stdout_has("tests/graders/02_words/whisper.rs is not sealed yet")
        .stdout_has(&format!(
            "If you wrote them (you are writing this course), `{}` records them as they are now.",
            support::command("dev seal")
        ))
        .stdout_lacks("git checkout")
        .stdout_lacks("tampered")
        .run();
    let output = pack
        .asynclings(&["verify", "--format", "json"])
        .status(1)
        .run();
    let document: serde_json::Value = serde_json::from_str(&support::stdout(&output)).unwrap();
    assert_eq!(document["summary"]["unsealed"], 1, "{document:#}");
    assert_eq!(document["summary"]["tampered"], 0);
}

/// In a course of its own there is no grading/ folder: the restore names exactly the sealed
/// files that changed (the course's own manifest and helpers among them), warns that it
/// discards the edits, and offers `dev seal` for changes made on purpose.
#[test]
fn a_changed_hidden_file_names_exactly_what_to_restore_in_the_courses_layout() {
    let pack = Pack::copy("third_party");
    pack.write(
        "course/helpers/src/lib.rs",
        &pack
            .read("course/helpers/src/lib.rs")
            .replace("fetch_add(1", "fetch_add(2"),
    );
    pack.write("course/lib.rs", "// edited\n");
    pack.asynclings(&["run", "countdown"])
        .status(1)
        .stdout_has("✗ hidden files differ from the course's seal, so a grade could not be trusted:")
        .stdout_has("    course/helpers/src/lib.rs was modified")
        .stdout_has("    course/lib.rs was modified")
        .stdout_has("  To grade, put them back as shipped (this discards any edits to them):\n    git checkout -- course/helpers/src/lib.rs course/lib.rs\n")
        .stdout_has(&format!(
            "If you are writing this course and changed them on purpose, `{}` records them as they are now.",
            support::command("dev seal")
        ))
        .stdout_lacks("grading/")
        .stdout_lacks("tests/ ")
        .run();
    // Started from elsewhere with --course: the commands say where.
    let elsewhere = tempfile::tempdir().unwrap();
    let course = pack.path("").display().to_string();
    let course = course.trim_end_matches('/');
    Invocation::new(elsewhere.path(), &["--course", course, "run", "countdown"])
        .status(1)
        .stdout_has(&format!(
            "git -C {course} checkout -- course/helpers/src/lib.rs course/lib.rs"
        ))
        .stdout_has(&format!(
            "`{} --course {course} dev seal`",
            env!("CARGO_BIN_EXE_asynclings")
        ))
        .run();
}

#[test]
fn suggested_commands_are_the_ones_the_user_can_run() {
    let pack = Pack::copy("standard");
    pack.write(
        "tests/graders/02_words/shout.rs",
        &(pack.read("tests/graders/02_words/shout.rs") + "// edited\n"),
    );
    // On the PATH, asynclings is just `asynclings`.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_asynclings"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .args(["-c", "asynclings run shout"])
        .current_dir(pack.path(""))
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("ASYNCLINGS_COURSE")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let text = support::stdout(&output);
    assert!(text.contains("`asynclings dev seal`"), "{text}");
    // Started by its path, it names that path.
    pack.asynclings(&["run", "shout"])
        .status(1)
        .stdout_has(&format!("`{}`", support::command("dev seal")))
        .stdout_has("git checkout -- tests/graders/02_words/shout.rs\n")
        .run();
}

/// `reset` of an exercise whose shipped version git does not have yet (written, sealed, not
/// committed): it says to commit first, and the file stays as it is.
#[test]
fn reset_before_a_commit_says_to_commit_and_keeps_the_file() {
    let pack = Pack::copy("standard");
    pack.sh("git init -q");
    commit(&pack, "shipped");
    pack.asynclings(&["dev", "new", "whisper", "--chapter", "02_words"])
        .status(0)
        .run();
    let file = "exercises/02_words/whisper.rs";
    pack.write(file, "//! Whispering.\npub fn whisper() {}\n");
    pack.asynclings(&["reset", "whisper"])
        .status(3)
        .stderr_has(&format!(
            "{file} is not sealed yet, so its shipped version is unknown; if you are writing it, `{}` records it as shipped (then commit it). {file} was left as it is.",
            support::command("dev seal")
        ))
        .run();
    pack.asynclings(&["dev", "seal"]).status(0).run();
    pack.asynclings(&["reset", "whisper"])
        .status(0)
        .stdout_has(&format!(
            "{file} is already as shipped: nothing to restore."
        ))
        .run();
    pack.write(
        file,
        "//! Whispering, edited after sealing.\npub fn whisper() {}\n",
    );
    pack.asynclings(&["reset", "whisper"])
        .status(3)
        .stderr_has("is not in this git repository yet. If you are writing the course, commit it first (`git add exercises/02_words/whisper.rs tests/seal.toml`, then `git commit`)")
        .stderr_has(&format!("{file} was left as it is."))
        .run();
    assert_eq!(
        pack.read(file),
        "//! Whispering, edited after sealing.\npub fn whisper() {}\n",
        "a failed reset never touches the file"
    );
    // Sealed and committed: now reset restores it.
    pack.write(file, "//! Whispering.\npub fn whisper() {}\n");
    pack.asynclings(&["dev", "seal"]).status(0).run();
    commit(&pack, "whisper");
    pack.write(file, "// my attempt\n");
    pack.asynclings(&["reset", "whisper"])
        .status(0)
        .stdout_has(&format!("Restored {file} to its shipped version."))
        .run();
    assert_eq!(pack.read(file), "//! Whispering.\npub fn whisper() {}\n");
}

/// A grader that does not compile, even with the solution, is the course's fault: a learner
/// is told so, not sent looking for a mistake in their file. An error in the grader that the
/// solution does not cause is still the learner's (they changed what the tests call).
#[test]
fn a_learner_is_told_when_the_course_is_broken_and_when_it_is_their_file() {
    let pack = Pack::copy("standard");
    let grader = "tests/graders/01_counting/tally.rs";
    pack.write(
        grader,
        &pack
            .read(grader)
            .replace("assert_eq!(total, 12", "assert_eq!(totl, 12"),
    );
    pack.asynclings(&["dev", "seal"]).status(0).run();
    pack.asynclings(&["run", "tally"])
        .status(1)
        .stdout_has("The course is broken, not your file: its hidden tests do not compile (tests/graders/01_counting/tally.rs), not even with the course's own solution. Report it to the course's authors, with the error below.")
        .stdout_has("cannot find value `totl` in this scope")
        .stdout_lacks("Your file compiles on its own")
        .stdout_lacks("Stuck?")
        .run();

    let pack = Pack::copy("standard");
    pack.write(
        "exercises/01_counting/tally.rs",
        "pub fn total(scores: &[u32]) -> u32 {\n    scores.iter().sum()\n}\n",
    );
    pack.asynclings(&["run", "tally"])
        .status(1)
        .stdout_has("Your file compiles on its own, but the hidden checks cannot use it like this")
        .stdout_lacks("The course is broken")
        .run();
}
