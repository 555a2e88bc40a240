use crate::support::{Invocation, Pack, stdout};

#[test]
fn verify_grades_everything_and_sums_up() {
    let pack = Pack::copy("basic");
    let output = pack
        .asynclings(&["verify"])
        .status(1)
        .stdout_has("1 of 4 exercises pass.")
        .stdout_has("fails_check: answers forty two: assertion `left == right` failed: the answer is off by one")
        .stdout_has("hangs: answers eventually: did not finish in 2 s")
        .run();
    let table = stdout(&output);
    for (name, status) in [
        ("passes", "pass"),
        ("fails_check", "fail"),
        ("compile_error", "compile-error"),
        ("hangs", "timeout"),
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.contains(name) && l.contains(status)),
            "no row `{name} … {status}` in\n{table}"
        );
    }
    // Passing exercises are recorded.
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("Progress: 1/4")
        .run();
}

#[test]
fn verify_solutions_grades_the_solutions_folder() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["verify", "--solutions"])
        .status(0)
        .stdout_has("4 of 4 solutions pass.")
        .run();
}

#[test]
fn verify_can_grade_one_chapter() {
    Invocation::new(
        &Pack::root(),
        &["verify", "--solutions", "--chapter", "00_intro"],
    )
    .status(0)
    .stdout_has("2 of 2 solutions pass.")
    .stdout_lacks("futures1_lookup")
    .run();
    Invocation::new(&Pack::root(), &["verify", "--chapter", "99_nothing"])
        .status(2)
        .stderr_has(
            "no chapter named `99_nothing`; the chapters are 00_intro, 01_futures, 02_wakers",
        )
        .run();
}
