use crate::support::{self, Pack};

#[test]
fn a_passing_exercise_is_done_and_points_at_the_solution() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"])
        .status(0)
        .stdout_has("✓ passes passes all 1 checks: done!")
        .stdout_has("solutions/01_demo/passes.rs")
        .stdout_has(&format!(
            "Progress: 1/4. Next: `{}`",
            support::command("run fails_check")
        ))
        .run();
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("done     01_demo")
        .stdout_has("Progress: 1/4")
        .run();
}

#[test]
fn a_failing_check_shows_the_graders_explanation_and_output() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "fails_check"])
        .status(1)
        .stdout_has("✗ exercises/01_demo/fails_check.rs fails 1 of 2 checks")
        .stdout_has("✗ answers forty two")
        .stdout_has("the answer is off by one: expected 42, got 41")
        .stdout_has("│ thinking hard")
        .stdout_has("✓ answers something")
        .stdout_has(&format!("`{}`", support::command("hint fails_check")))
        .run();
}

#[test]
fn a_compile_error_shows_the_first_error_where_the_learner_must_look() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "compile_error"])
        .status(1)
        .stdout_has("✗ exercises/01_demo/compile_error.rs does not compile")
        .stdout_has("error[E0308]: mismatched types")
        .stdout_has("--> exercises/01_demo/compile_error.rs:3:5")
        .stdout_lacks("\u{1b}[")
        .run();
}

#[test]
fn a_hang_is_stopped_at_the_time_limit_with_a_verdict() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "hangs"])
        .status(1)
        .stdout_has("⧗ answers eventually")
        .stdout_has("did not finish in 2 s: a deadlock, or a future that is never woken?")
        .stdout_has("│ waiting for an answer")
        .run();
    // The limit is 2 s; a check stopped near the default 10 s would mean it was ignored. The
    // check's own run time, not the command's: compiling on a loaded machine takes seconds.
    let output = pack
        .asynclings(&["verify", "--chapter", "01_demo", "--format", "json"])
        .status(1)
        .run();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hangs = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "hangs")
        .unwrap();
    let millis = hangs["checks"][0]["duration_ms"].as_u64().unwrap();
    assert!((2000..9000).contains(&millis), "the check ran {millis} ms");
}

#[test]
fn the_default_exercise_is_the_first_unfinished_one() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"]).status(0).run();
    pack.asynclings(&["run"])
        .status(1)
        .stdout_has("fails_check.rs fails 1 of 2")
        .run();
}

#[test]
fn an_edited_hidden_test_is_reported_not_passed() {
    let pack = Pack::copy("basic");
    pack.write(
        "tests/graders/01_demo/fails_check.rs",
        "#[test]\nfn answers_forty_two() {}\n",
    );
    pack.asynclings(&["run", "fails_check"])
        .status(1)
        .stdout_has("hidden files differ from the course's seal, so a grade could not be trusted")
        .stdout_has("tests/graders/01_demo/fails_check.rs was modified")
        .stdout_lacks("Stuck?")
        .run();
}

/// A grade that could not be trusted says nothing about the learner's file: a done exercise
/// stays done, and no hint is offered for a mistake that is not theirs.
#[test]
fn a_tampered_or_unsealed_grade_keeps_progress_and_offers_no_hint() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"]).status(0).run();
    let grader = "tests/graders/01_demo/passes.rs";
    let shipped = pack.read(grader);
    pack.write(grader, &(shipped.clone() + "// edited\n"));
    pack.asynclings(&["run", "passes"])
        .status(1)
        .stdout_has("tests/graders/01_demo/passes.rs was modified")
        .stdout_lacks("Stuck?")
        .run();
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("Progress: 1/4")
        .run();
    // Unsealed: a seal that never knew the grader.
    pack.write(grader, &shipped);
    pack.write(
        "tests/seal.toml",
        &pack
            .read("tests/seal.toml")
            .lines()
            .filter(|line| !line.contains("graders/01_demo/passes.rs"))
            .map(|line| format!("{line}\n"))
            .collect::<String>(),
    );
    pack.asynclings(&["run", "passes"])
        .status(1)
        .stdout_has("tests/graders/01_demo/passes.rs is not sealed yet")
        .stdout_lacks("Stuck?")
        .run();
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("Progress: 1/4")
        .run();
}

#[test]
fn a_deleted_exercise_says_how_to_get_it_back() {
    let pack = Pack::copy("basic");
    std::fs::remove_file(pack.path("exercises/01_demo/hangs.rs")).unwrap();
    pack.asynclings(&["run", "hangs"])
        .status(1)
        .stdout_has(&format!(
            "exercises/01_demo/hangs.rs is missing. `{}` restores the shipped version.",
            support::command("reset hangs")
        ))
        .run();
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("hangs")
        .run();
}

#[test]
fn an_unknown_exercise_is_a_usage_error_with_a_suggestion() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "fails_chek"])
        .status(2)
        .stderr_has("no exercise named `fails_chek`; did you mean `fails_check`?")
        .run();
}
