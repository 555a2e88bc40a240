use crate::support::Pack;

#[test]
fn a_malformed_info_toml_is_located_by_line_and_column() {
    let pack = Pack::copy("basic");
    pack.write(
        "info.toml",
        "format = 1\n\n[[exercises]]\nname = 3\nchapter = \"01_demo\"\n",
    );
    pack.asynclings(&["list"])
        .status(3)
        .stderr_has("info.toml:4:8: invalid type: integer `3`, expected a string")
        .run();
}

#[test]
fn a_typo_in_a_key_is_not_ignored() {
    let pack = Pack::copy("basic");
    let info = pack
        .read("info.toml")
        .replace("time_limit_secs", "time_limit");
    pack.write("info.toml", &info);
    pack.asynclings(&["list"])
        .status(3)
        .stderr_has("unknown field `time_limit`")
        .run();
}

#[test]
fn an_entry_whose_hidden_tests_are_missing_names_the_file() {
    let pack = Pack::copy("basic");
    std::fs::remove_file(pack.path("tests/graders/01_demo/hangs.rs")).unwrap();
    pack.asynclings(&["list"])
        .status(3)
        .stderr_has("info.toml:21:1: exercise `hangs` needs tests/graders/01_demo/hangs.rs, which does not exist")
        .run();
}

#[test]
fn outside_a_course_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::Invocation::new(dir.path(), &["list"])
        .status(3)
        .stderr_has("no info.toml in")
        .run();
}
