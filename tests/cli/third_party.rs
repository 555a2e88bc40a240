//! A course kept outside this repository (tests/fixtures/packs/third_party): its own
//! dependency manifest and grading helpers, reached with `--course` or ASYNCLINGS_COURSE.
use crate::support::{Invocation, Pack, asynclings_command, stdout};

#[test]
fn runs_from_anywhere_with_course_and_its_own_dependencies() {
    let pack = Pack::copy("third_party");
    let elsewhere = tempfile::tempdir().unwrap();
    let course = pack.path("").display().to_string();
    let list = Invocation::new(elsewhere.path(), &["--course", &course, "list"])
        .status(0)
        .run();
    assert!(stdout(&list).contains("countdown"));
    Invocation::new(
        elsewhere.path(),
        &["--course", &course, "verify", "--solutions"],
    )
    .status(0)
    .stdout_has("1 of 1 solutions pass.")
    .run();
    Invocation::new(elsewhere.path(), &["--course", &course, "dev", "check"])
        .status(0)
        .stdout_has("the course is honest")
        .run();
}

#[test]
fn the_course_environment_variable_names_it_too() {
    let pack = Pack::copy("third_party");
    let elsewhere = tempfile::tempdir().unwrap();
    let output = asynclings_command()
        .args(["run", "countdown"])
        .current_dir(elsewhere.path())
        .env("ASYNCLINGS_COURSE", pack.path(""))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("returned Pending without waking its waker: nothing will ever poll it again"),
        "{text}"
    );
}

#[test]
fn its_own_grading_helpers_are_sealed_like_hidden_tests() {
    let pack = Pack::copy("third_party");
    let helpers = "course/helpers/src/lib.rs";
    pack.write(
        helpers,
        &pack.read(helpers).replace("fetch_add(1", "fetch_add(2"),
    );
    pack.asynclings(&["run", "countdown"])
        .status(1)
        .stdout_has("course/helpers/src/lib.rs was modified")
        .run();
}
