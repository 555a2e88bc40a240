use std::time::{Duration, Instant};

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
    let started = Instant::now();
    pack.asynclings(&["run", "hangs"])
        .status(1)
        .stdout_has("⧗ answers eventually")
        .stdout_has("did not finish in 2 s: a deadlock, or a future that is never woken?")
        .stdout_has("│ waiting for an answer")
        .run();
    // The limit is 2 s; anything near the default 10 s would mean the limit was ignored.
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "took {:?}",
        started.elapsed()
    );
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
