use crate::support::Pack;

#[test]
fn an_enforced_lint_fails_the_grade_with_the_lints_own_message() {
    let pack = Pack::copy("lints");
    pack.asynclings(&["run", "pause_politely"])
        .status(1)
        .stdout_has("passes its checks, but lints are enforced here")
        .stdout_has("✓ pauses for ten milliseconds")
        .stdout_has("warning: use of a disallowed method `std::thread::sleep`")
        .stdout_has("--> exercises/01_async/pause_politely.rs:5:5")
        .stdout_has(
            "it blocks the runtime's thread and every task on it: use tokio::time::sleep(..).await",
        )
        .run();
    let fixed = pack.read("solutions/01_async/pause_politely.rs");
    pack.write("exercises/01_async/pause_politely.rs", &fixed);
    pack.asynclings(&["run", "pause_politely"]).status(0).run();
}

#[test]
fn the_chapters_clippy_configuration_is_sealed_like_a_hidden_test() {
    let pack = Pack::copy("lints");
    pack.write(
        "exercises/01_async/clippy.toml",
        "disallowed-methods = []\n",
    );
    pack.asynclings(&["run", "pause_politely"])
        .status(1)
        .stdout_has("exercises/01_async/clippy.toml was modified")
        .run();
}

#[test]
fn a_course_with_enforced_lints_passes_dev_check() {
    Pack::copy("lints")
        .asynclings(&["dev", "check"])
        .status(0)
        .stdout_has("the course is honest")
        .run();
}
