use crate::support::{Invocation, Pack};

/// The curriculum is honest: every exercise of this repository fails as shipped, every
/// solution passes clean, every wrong fix is rejected with its explanation.
#[test]
fn the_course_in_this_repository_passes_dev_check() {
    Invocation::new(&Pack::root(), &["dev", "check"])
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
        .stdout_has(
            "tests/seal.toml is stale (tests/graders/01_demo/passes.rs): run `asynclings dev seal`",
        )
        .run();
}
