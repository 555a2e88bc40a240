use crate::support::{self, Invocation, Pack, stdout};

/// The curriculum is honest: every exercise of this repository fails as shipped, every
/// solution passes clean, every wrong fix is rejected with its explanation.
#[test]
fn the_course_in_this_repository_passes_dev_check() {
    Invocation::new(&Pack::root(), &["dev", "check", "--strict"])
        .status(0)
        .stdout_has("the course is honest")
        .run();
}

#[test]
fn dev_check_names_an_exercise_that_passes_as_shipped() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has("✗ every exercise fails as shipped")
        .stdout_has("exercises/01_demo/passes.rs passes as shipped")
        .stdout_has("✓ every wrong fix is rejected with its explanation")
        .run();
}

#[test]
fn dev_check_catches_a_wrong_fix_that_passes_and_an_unlisted_file() {
    let pack = Pack::copy("basic");
    pack.write(
        "tests/wrong_fixes/01_demo/fails_check/actually_right.rs",
        "//! Not wrong at all.\n// expect fail: off by one\npub fn answer() -> u32 {\n    42\n}\n",
    );
    pack.write("exercises/01_demo/stray.rs", "pub fn stray() {}\n");
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has(
            "tests/wrong_fixes/01_demo/fails_check/actually_right.rs: expected fail, got pass",
        )
        .stdout_has("exercises/01_demo/stray.rs is not part of any exercise in info.toml")
        .run();
}

#[test]
fn dev_check_catches_a_stale_seal() {
    let pack = Pack::copy("basic");
    pack.write(
        "tests/graders/01_demo/passes.rs",
        &(pack.read("tests/graders/01_demo/passes.rs") + "\n// edited\n"),
    );
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has(&format!(
            "tests/seal.toml is stale (tests/graders/01_demo/passes.rs): run `{}`",
            support::command("dev seal")
        ))
        .run();
}

/// A course that meets the course standard, checked whole: no warning.
#[test]
fn a_course_that_meets_the_standard_is_honest_without_warnings_even_strictly() {
    Pack::copy("standard")
        .asynclings(&["dev", "check", "--strict"])
        .status(0)
        .stdout_has("✓ every right fix (a correct alternative) passes")
        .stdout_has(
            "✓ every exercise has at least 2 wrong fixes and 1 right fix (the course standard)",
        )
        .stdout_has(
            "3 exercises, 3 solutions, 6 wrong fixes, 3 right fixes graded: the course is honest\n",
        )
        .run();
}

/// One exercise: only its grades, and the course-wide claims it skipped are named, not passed.
#[test]
fn dev_check_of_one_exercise_grades_it_alone_and_names_what_it_skipped() {
    let pack = Pack::copy("standard");
    // Problems elsewhere in the course, which this check must neither report nor call passed.
    pack.write("exercises/02_words/stray.rs", "pub fn stray() {}\n");
    pack.write(
        "tests/wrong_fixes/02_words/shout/actually_right.rs",
        "//! Not wrong.\n// expect fail: no exclamation mark\npub fn shout(text: &str) -> String {\n    format!(\"{}!\", text.to_uppercase())\n}\n",
    );
    pack.asynclings(&["dev", "check", "tally"])
        .status(0)
        .stdout_has("Checking exercise `tally` (the claims below hold for the selection alone):")
        .stdout_has("✓ every wrong fix is rejected with its explanation")
        .stdout_has("- not checked: no file lies outside info.toml's exercises, no editor target names a missing exercise")
        .stdout_has("- not checked: the seal of the exercises outside the selection")
        .stdout_has("1 exercise, 1 solution, 2 wrong fixes, 1 right fix graded: the selection is honest; the rest of the course was not checked")
        .stdout_lacks("the course is honest")
        .stdout_lacks("shout")
        .run();
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has("exercises/02_words/stray.rs is not part of any exercise in info.toml")
        .stdout_has("tests/wrong_fixes/02_words/shout/actually_right.rs: expected fail, got pass")
        .run();
    pack.asynclings(&["dev", "check", "shout"])
        .status(1)
        .stdout_has("actually_right.rs: expected fail, got pass")
        .run();
}

#[test]
fn dev_check_of_a_chapter_in_json_says_what_it_covered() {
    let pack = Pack::copy("standard");
    let output = pack
        .asynclings(&[
            "dev",
            "check",
            "--chapter",
            "01_counting",
            "--format",
            "json",
        ])
        .status(0)
        .run();
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["ok"], true);
    assert_eq!(
        document["selection"]["exercises"],
        serde_json::json!(["tally", "largest"])
    );
    let not_checked = document["selection"]["not_checked"].as_array().unwrap();
    assert!(
        not_checked.contains(&"the seal of the exercises outside the selection".into()),
        "{not_checked:?}"
    );
    let results = document["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        2 * (1 + 1 + 2 + 1),
        "two exercises, five files each"
    );
    assert!(results.iter().all(|r| r["chapter"] == "01_counting"));
    let right = results
        .iter()
        .find(|r| r["file"] == "tests/right_fixes/01_counting/tally/a_fold.rs")
        .unwrap();
    assert_eq!(
        (
            right["role"].as_str(),
            right["expected"].as_str(),
            right["ok"].as_bool()
        ),
        (Some("right-fix"), Some("pass"), Some(true))
    );
    pack.asynclings(&["dev", "check", "--chapter", "03_nothing"])
        .status(2)
        .stderr_has("no chapter named `03_nothing`; the chapters are 01_counting, 02_words")
        .run();
}

/// The fast loop on one fixture: its verdict as a learner reads it, and only its claim.
#[test]
fn dev_check_of_one_fixture_shows_its_verdict_and_grades_nothing_else() {
    let pack = Pack::copy("standard");
    let fixture = "tests/wrong_fixes/01_counting/tally/skips_the_last.rs";
    let output = pack
        .asynclings(&["dev", "check", fixture, "--format", "json"])
        .status(0)
        .run();
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let results = document["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["role"], "wrong-fix");
    assert_eq!(document["selection"]["files"], serde_json::json!([fixture]));
    pack.asynclings(&["dev", "check", fixture])
        .status(0)
        .stdout_has(&format!(
            "── {fixture} (wrong fix of `tally`): what a learner would read ──"
        ))
        .stdout_has("tally(&[3, 4, 5]) is 7: a score was left out")
        .stdout_has("- not checked: every solution passes, clippy-clean")
        .stdout_has("- not checked: the seal is up to date")
        .stdout_has(
            "1 wrong fix graded: the selection is honest; the rest of the course was not checked",
        )
        .run();
    // An expectation the verdict does not meet, from inside the fixture's folder.
    pack.write(
        fixture,
        &pack.read(fixture).replace(
            "// expect fail: a score was left out",
            "// expect fail: off by one",
        ),
    );
    Invocation::new(
        &pack.path("tests/wrong_fixes/01_counting/tally"),
        &["dev", "check", "skips_the_last.rs"],
    )
    .status(1)
    .stdout_has("skips_the_last.rs: rejected, but the verdict does not say \"off by one\"")
    .run();
    pack.asynclings(&[
        "dev",
        "check",
        "tests/wrong_fixes/01_counting/tally/nope.rs",
    ])
    .status(2)
    .stderr_has("tests/wrong_fixes/01_counting/tally/nope.rs does not exist")
    .run();
    pack.asynclings(&["dev", "check", "info.toml"])
        .status(2)
        .stderr_has("info.toml is not a file `dev check` can check on its own")
        .run();
}

/// A cheat (a file that tries to pass without solving) belongs to its exercise's check, can be
/// checked on its own by path like a wrong fix, and is counted apart.
#[test]
fn a_cheat_is_checked_with_its_exercise_and_on_its_own() {
    let pack = Pack::copy("standard");
    let cheat = "tests/cheats/01_counting/tally/own_symbol.rs";
    pack.write(
        cheat,
        "//! Cheat: a symbol outside the crate's names, which could stand in for libc's.\n\
         // expect rejected: outside Rust's own names\n\
         #[unsafe(no_mangle)]\n\
         pub extern \"C\" fn tally_marker() -> u32 {\n    7\n}\n\n\
         pub fn tally(scores: &[u32]) -> u32 {\n    scores.iter().skip(1).sum()\n}\n",
    );
    pack.asynclings(&["dev", "check", "tally"])
        .status(0)
        .stdout_has("✓ every cheat is rejected with its verdict")
        .stdout_has("1 exercise, 1 solution, 2 wrong fixes, 1 right fix, 1 cheat graded")
        .run();
    let output = pack
        .asynclings(&["dev", "check", cheat, "--format", "json"])
        .status(0)
        .run();
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let results = document["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["role"], "cheat");
    assert_eq!(results[0]["status"], "rejected");
    assert_eq!(results[0]["expected"], "rejected");
    pack.asynclings(&["dev", "check", cheat])
        .status(0)
        .stdout_has(&format!(
            "── {cheat} (cheat of `tally`): what a learner would read ──"
        ))
        .stdout_has("was refused before any check ran:")
        .stdout_has("defines `tally_marker` outside Rust's own names")
        .stdout_has("1 cheat graded: the selection is honest")
        .run();
}

#[test]
fn a_right_fix_must_pass_say_its_style_and_differ_from_the_solution() {
    let pack = Pack::copy("standard");
    let right = "tests/right_fixes/01_counting/tally";
    pack.write(
        &format!("{right}/off_by_one.rs"),
        "//! Correct alternative: a loop.\npub fn tally(scores: &[u32]) -> u32 {\n    let mut total = 1;\n    for s in scores {\n        total += s;\n    }\n    total\n}\n",
    );
    pack.write(
        &format!("{right}/unlabelled.rs"),
        "pub fn tally(scores: &[u32]) -> u32 {\n    scores.iter().sum()\n}\n",
    );
    std::fs::copy(
        pack.path("solutions/01_counting/tally.rs"),
        pack.path(&format!("{right}/copied.rs")),
    )
    .unwrap();
    let output = pack
        .asynclings(&["dev", "check", "tally", "--format", "junit"])
        .status(1)
        .stderr_has("✗ every right fix (a correct alternative) passes")
        .stderr_has(&format!("{right}/off_by_one.rs: fail: adds_up_every_score: "))
        .stderr_has(&format!("{right}/unlabelled.rs: does not start with `//! Correct alternative: <its style, in a few words>`"))
        .stderr_has(&format!("{right}/copied.rs: is the solution itself: a correct alternative shows another style"))
        .run();
    let xml = stdout(&output);
    assert!(
        xml.contains("name=\"tally (right fix off_by_one)\""),
        "{xml}"
    );
    assert!(
        xml.contains("<skipped message=\"not checked: the selection does not cover it\"/>"),
        "{xml}"
    );
}

/// The standard (two wrong fixes, one right fix) warns, and fails under --strict.
#[test]
fn an_exercise_short_of_the_standard_is_a_warning_and_strict_makes_it_fail() {
    let pack = Pack::copy("lints");
    let claim = "every exercise has at least 2 wrong fixes and 1 right fix (the course standard)";
    pack.asynclings(&["dev", "check"])
        .status(0)
        .stdout_has(&format!("! {claim}"))
        .stdout_has("`pause_politely` has 1 wrong fix (2 different plausible mistakes belong in tests/wrong_fixes/01_async/pause_politely/)")
        .stdout_has("`pause_politely` has no right fix (a correct alternative in another style belongs in tests/right_fixes/01_async/pause_politely/)")
        .stdout_has("the course is honest, with warnings above")
        .run();
    let output = pack
        .asynclings(&["dev", "check", "--format", "json"])
        .status(0)
        .run();
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let finding = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["claim"] == claim)
        .unwrap();
    assert_eq!(
        (finding["ok"].as_bool(), finding["severity"].as_str()),
        (Some(false), Some("warning"))
    );
    assert_eq!(document["ok"], true);
    pack.asynclings(&["dev", "check", "--strict"])
        .status(1)
        .stdout_has(&format!("✗ {claim}"))
        .stdout_has("problems above")
        .run();
}

#[test]
fn a_lint_or_formatting_problem_in_a_solution_is_located_by_file_and_line() {
    let pack = Pack::copy("lints");
    let solution = "solutions/01_async/pause_politely.rs";
    pack.write(
        solution,
        "//! Pauses.\nuse std::time::Duration;\n\npub async fn pause() {\n    std::thread::sleep(Duration::from_millis(10));\n}\n",
    );
    pack.asynclings(&["dev", "check", "pause_politely"])
        .status(1)
        .stdout_has(&format!("{solution}:5:5: clippy::disallowed_methods: use of a disallowed method `std::thread::sleep`"))
        .run();
    pack.write(
        solution,
        "//! Pauses.\nuse std::time::Duration;\n\npub async fn pause() {\n    tokio::time::sleep(Duration::from_millis(10)).await;\n}\nfn  unused() {}\n",
    );
    pack.asynclings(&["dev", "check", solution])
        .status(1)
        .stdout_has(&format!(
            "{solution}:7: not rustfmt-clean (run `rustfmt --edition 2024 {solution}`)"
        ))
        .run();
}

/// A grader that does not compile is the course's fault, and the check says so in each claim
/// instead of counting "fails as shipped" as met.
#[test]
fn hidden_tests_that_do_not_compile_are_named_as_the_courses_fault() {
    let pack = Pack::copy("standard");
    let grader = "tests/graders/02_words/shout.rs";
    pack.write(
        grader,
        &pack.read(grader).replace("use crate::exercise::shout;", ""),
    );
    pack.asynclings(&["dev", "check", "shout"])
        .status(1)
        .stdout_has("exercises/02_words/shout.rs fails as shipped only because the hidden tests do not compile, not even with the solution: cannot find function `shout`")
        .stdout_has("solutions/02_words/shout.rs: compile-error: the hidden tests do not compile, not even with the solution")
        .stdout_has("no_bang.rs: the hidden tests do not compile, not even with the solution")
        .stdout_has("nothing about this fixture was checked")
        .run();
}
