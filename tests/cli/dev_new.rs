//! `asynclings dev new`: every file in its place, the info.toml entry where it belongs, clear
//! refusals, and a scaffold that `dev check` will not let pass.

use crate::support::{Pack, stdout};

#[test]
fn scaffolds_every_file_after_the_chapters_last_exercise() {
    let pack = Pack::copy("basic");
    let before = pack.read("info.toml");
    pack.asynclings(&["dev", "new", "rounds", "--chapter", "01_demo"])
        .status(0)
        .stdout_has("Scaffolded `rounds` in chapter 01_demo")
        .stdout_has("its entry, after `hangs`")
        .run();
    for file in [
        "exercises/01_demo/rounds.rs",
        "solutions/01_demo/rounds.rs",
        "tests/graders/01_demo/rounds.rs",
        "tests/wrong_fixes/01_demo/rounds/rename_after_the_mistake.rs",
        "tests/wrong_fixes/01_demo/rounds/rename_after_another_mistake.rs",
        "tests/right_fixes/01_demo/rounds/rename_after_the_style.rs",
    ] {
        assert!(pack.path(file).is_file(), "{file} was not written");
    }
    assert!(
        pack.read("tests/right_fixes/01_demo/rounds/rename_after_the_style.rs")
            .starts_with("//! Correct alternative: ")
    );
    let grader = pack.read("tests/graders/01_demo/rounds.rs");
    assert!(
        grader.contains("use asynclings_grading::prelude::*;"),
        "{grader}"
    );
    assert!(
        grader.contains("#[tokio::test(start_paused = true)]"),
        "{grader}"
    );
    assert!(
        pack.read("tests/wrong_fixes/01_demo/rounds/rename_after_the_mistake.rs")
            .contains("// expect fail: ")
    );
    let info = pack.read("info.toml");
    assert!(
        info.starts_with(&before),
        "the entry is appended; comments and layout survive:\n{info}"
    );
    assert!(
        info[before.len()..]
            .starts_with("\n[[exercises]]\nname = \"rounds\"\nchapter = \"01_demo\"\n")
    );
    let list = stdout(&pack.asynclings(&["list"]).status(0).run());
    let hangs = list.find("hangs").unwrap();
    let rounds = list.find("rounds").expect("list shows the new exercise");
    assert!(hangs < rounds, "{list}");
}

#[test]
fn an_untouched_scaffold_fails_dev_check_saying_what_to_write() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["dev", "new", "rounds", "--chapter", "01_demo"])
        .status(0)
        .run();
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has("✗ every file is written (no `asynclings dev new` placeholder is left)")
        .stdout_has("exercises/01_demo/rounds.rs: write the learner's broken program here, then delete this line.")
        .stdout_has("solutions/01_demo/rounds.rs: write the solution here")
        .stdout_has("tests/graders/01_demo/rounds.rs: write the hidden tests here")
        .stdout_has("tests/wrong_fixes/01_demo/rounds/rename_after_the_mistake.rs: write a whole learner file with one plausible wrong fix")
        .stdout_has("tests/wrong_fixes/01_demo/rounds/rename_after_another_mistake.rs: write a whole learner file with one plausible wrong fix")
        .stdout_has("tests/right_fixes/01_demo/rounds/rename_after_the_style.rs: write a whole learner file that solves the exercise in another style than the solution")
        .stdout_has("info.toml: the hints of `rounds` are placeholders")
        .stdout_has("solutions/01_demo/rounds.rs: fail: replace_with_a_behaviour: not yet implemented: write the hidden tests of `rounds`")
        .run();
}

#[test]
fn a_new_chapter_needs_the_flag_and_goes_in_numeric_order_with_its_readme() {
    let pack = Pack::copy("basic");
    let before = pack.read("info.toml");
    pack.asynclings(&["dev", "new", "warmup1_hello", "--chapter", "00_warmup"])
        .status(2)
        .stderr_has("there is no chapter 00_warmup in info.toml (chapters: 01_demo); to start it, add --new-chapter")
        .run();
    pack.asynclings(&["dev", "new", "warmup1_hello", "--chapter", "01_dmeo"])
        .status(2)
        .stderr_has("did you mean 01_demo?")
        .run();
    assert_eq!(pack.read("info.toml"), before, "a refusal writes nothing");
    assert!(!pack.path("exercises/00_warmup").exists());

    pack.asynclings(&[
        "dev",
        "new",
        "warmup1_hello",
        "--chapter",
        "00_warmup",
        "--new-chapter",
    ])
    .status(0)
    .stdout_has("exercises/00_warmup/README.md")
    .stdout_has("its entry, first")
    .run();
    assert!(
        pack.read("exercises/00_warmup/README.md")
            .contains("asynclings:scaffold: explain the chapter's concepts")
    );
    let list = stdout(&pack.asynclings(&["list"]).status(0).run());
    assert!(
        list.find("warmup1_hello").unwrap() < list.find("passes").unwrap(),
        "{list}"
    );
    let info = pack.read("info.toml");
    assert!(
        info.starts_with("# A small course for asynclings' own tests"),
        "the header comment stays first:\n{info}"
    );
}

#[test]
fn refuses_a_taken_or_malformed_name_and_a_chapter_that_already_exists() {
    let pack = Pack::copy("basic");
    let before = pack.read("info.toml");
    pack.asynclings(&["dev", "new", "passes", "--chapter", "01_demo"])
        .status(2)
        .stderr_has("exercise `passes` already exists (")
        .stderr_has("info.toml:6:1, chapter 01_demo)")
        .run();
    pack.asynclings(&["dev", "new", "Rounds", "--chapter", "01_demo"])
        .status(2)
        .stderr_has("exercise name `Rounds` must be lowercase letters, digits and `_`")
        .run();
    pack.asynclings(&["dev", "new", "rounds", "--chapter", "demo"])
        .status(2)
        .stderr_has("chapter `demo` must look like `02_wakers`")
        .run();
    pack.asynclings(&[
        "dev",
        "new",
        "rounds",
        "--chapter",
        "01_demo",
        "--new-chapter",
    ])
    .status(2)
    .stderr_has("chapter 01_demo already exists: leave out --new-chapter")
    .run();
    pack.write("solutions/01_demo/rounds.rs", "// an instructor's draft\n");
    pack.asynclings(&["dev", "new", "rounds", "--chapter", "01_demo"])
        .status(2)
        .stderr_has("solutions/01_demo/rounds.rs already exists")
        .run();
    assert_eq!(pack.read("info.toml"), before, "a refusal writes nothing");
    assert_eq!(
        pack.read("solutions/01_demo/rounds.rs"),
        "// an instructor's draft\n"
    );
    assert!(!pack.path("exercises/01_demo/rounds.rs").exists());
}

#[test]
fn adds_the_editor_target_where_the_course_keeps_them() {
    let pack = Pack::copy("third_party");
    pack.asynclings(&["dev", "new", "countdown2_twice", "--chapter", "01_polling"])
        .status(0)
        .stdout_has("course/Cargo.toml")
        .run();
    let manifest = pack.read("course/Cargo.toml");
    assert!(
        manifest.ends_with(
            "\n[[example]]\nname = \"countdown2_twice\"\npath = \"../exercises/01_polling/countdown2_twice.rs\"\ncrate-type = [\"rlib\"]\nrequired-features = [\"editor\"]\n"
        ),
        "{manifest}"
    );
    // This course has neither tokio nor asynclings-grading: the scaffold uses neither.
    let grader = pack.read("tests/graders/01_polling/countdown2_twice.rs");
    assert!(
        !grader.contains("tokio") && !grader.contains("asynclings_grading"),
        "{grader}"
    );
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has("✓ info.toml and the files agree")
        .stdout_has("✗ every file is written")
        .run();
    // The manifest is sealed (a local package's): the new target kept the seal current, so
    // the other exercises still grade, and nothing suggests undoing the new target.
    pack.asynclings(&["run", "countdown"])
        .status(1)
        .stdout_has("returned Pending without waking its waker")
        .stdout_lacks("course/Cargo.toml")
        .run();
}
