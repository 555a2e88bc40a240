//! watch and the other commands against checkouts and editors that do unusual things with
//! files: CRLF checkouts, symbolic links, a folder deleted and re-created, bursts of writes,
//! and an exercise that passed once and fails now.

use std::time::Duration;

use crate::support::Pack;
use crate::watching::Watch;

const FIXED_ANSWER: &str = "//! The answer.\npub fn answer() -> u32 {\n    42\n}\n";
const WRONG_ANSWER: &str = "//! The answer.\npub fn answer() -> u32 {\n    43\n}\n";

fn committed(pack: &Pack) {
    pack.sh("git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm shipped");
}

fn current(pack: &Pack, name: &str) {
    pack.write(
        ".asynclings-state.txt",
        &format!("# asynclings progress, format 1\ncurrent {name}\n"),
    );
}

#[test]
fn a_crlf_checkout_is_not_tampered_and_reset_writes_crlf() {
    let pack = Pack::copy("basic");
    committed(&pack);
    pack.sh("git config core.autocrlf true && rm -rf tests exercises && git checkout -- .");
    assert!(
        pack.read("tests/graders/01_demo/passes.rs")
            .contains("\r\n"),
        "the checkout has CRLF line ends"
    );
    pack.asynclings(&["run", "passes"])
        .status(0)
        .stdout_has("passes all 1 checks")
        .stdout_lacks("tampered")
        .run();
    // An edited hidden test is still caught.
    pack.write(
        "tests/graders/01_demo/passes.rs",
        "#[test]\r\nfn t() {}\r\n",
    );
    pack.asynclings(&["run", "passes"])
        .status(1)
        .stdout_has("hidden files differ from the course's seal")
        .stdout_has("tests/graders/01_demo/passes.rs was modified")
        .run();
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    pack.asynclings(&["reset", "fails_check"])
        .status(0)
        .stdout_has("Restored exercises/01_demo/fails_check.rs to its shipped version.")
        .run();
    let restored = pack.read("exercises/01_demo/fails_check.rs");
    assert!(restored.contains("41 // TODO\r\n"), "{restored:?}");
    // The CRLF copy is the shipped version, as git sees it: nothing to restore.
    pack.asynclings(&["reset", "fails_check"])
        .status(0)
        .stdout_has("is already as shipped: nothing to restore.")
        .run();
}

#[test]
fn a_symlinked_exercise_is_graded_on_writes_to_its_target_and_reset_keeps_the_link() {
    let pack = Pack::copy("basic");
    committed(&pack);
    current(&pack, "fails_check");
    let link = pack.path("exercises/01_demo/fails_check.rs");
    let target = pack.path("mine/fails_check.rs");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::rename(&link, &target).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict fails_check fail");
    std::fs::write(&target, FIXED_ANSWER).unwrap();
    watch.expect("verdict fails_check pass");
    std::fs::write(&link, WRONG_ANSWER).unwrap();
    watch.expect("verdict fails_check fail");
    assert_eq!(watch.quit(), Some(0));

    pack.asynclings(&["reset", "fails_check"]).status(0).run();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("41 // TODO")
    );
}

#[test]
fn a_symlinked_progress_file_is_written_through() {
    let pack = Pack::copy("basic");
    let state = pack.path(".asynclings-state.txt");
    let target = pack.path("elsewhere-state.txt");
    std::fs::write(&target, "# asynclings progress, format 1\n").unwrap();
    std::os::unix::fs::symlink(&target, &state).unwrap();
    pack.asynclings(&["run", "passes"]).status(0).run();
    assert!(std::fs::symlink_metadata(&state).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("done passes")
    );
}

#[test]
fn deleting_and_recreating_exercises_rearms_watch_without_moving_the_learner() {
    let pack = Pack::copy("basic");
    committed(&pack);
    current(&pack, "fails_check");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict fails_check fail");
    // A stash or checkout: the whole folder goes away and comes back.
    pack.sh("rm -rf exercises && sleep 0.3 && git checkout -- exercises");
    watch.expect("verdict fails_check fail");
    std::thread::sleep(Duration::from_millis(400));
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    watch.expect("verdict fails_check pass");
    let seen = watch.seen().join("\n");
    assert!(
        !seen.contains("grading passes") && !seen.contains("grading hangs"),
        "watch hopped to other exercises:\n{seen}"
    );
}

#[test]
fn a_burst_of_writes_to_other_exercises_does_not_move_the_learner() {
    let pack = Pack::copy("basic");
    current(&pack, "fails_check");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict fails_check fail");
    for name in ["passes", "hangs", "compile_error"] {
        let path = format!("exercises/01_demo/{name}.rs");
        let text = pack.read(&path);
        pack.write(&path, &format!("{text}// touched\n"));
    }
    watch.expect(
        "3 exercise files changed at once (a git checkout or stash?): staying on fails_check",
    );
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    watch.expect("verdict fails_check pass");
    let seen = watch.seen().join("\n");
    assert!(!seen.contains("grading passes"), "{seen}");
}

#[test]
fn a_done_exercise_that_fails_again_is_not_done_and_n_does_not_skip_it() {
    let pack = Pack::copy("basic");
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    pack.asynclings(&["run", "fails_check"]).status(0).run();
    pack.asynclings(&["list"]).stdout_has("Progress: 1/4").run();
    pack.write("exercises/01_demo/fails_check.rs", WRONG_ANSWER);
    pack.asynclings(&["run", "fails_check"]).status(1).run();
    pack.asynclings(&["list"]).stdout_has("Progress: 0/4").run();

    // In watch: passes is done, then broken; n must not move on.
    pack.asynclings(&["run", "passes"]).status(0).run();
    current(&pack, "passes");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict passes pass");
    pack.write(
        "exercises/01_demo/passes.rs",
        "pub async fn double_later(x: u32) -> u32 {\n    x * 3\n}\n",
    );
    watch.expect("verdict passes fail");
    watch.key("n");
    watch.expect("passes is not done yet: n moves on once it passes");
    assert_eq!(watch.quit(), Some(0));
    pack.asynclings(&["list"]).stdout_has("Progress: 0/4").run();
}

#[test]
fn watch_opens_where_the_learner_left_off_as_the_readme_says() {
    let pack = Pack::copy("basic");
    let readme = std::fs::read_to_string(Pack::root().join("README.md")).unwrap();
    assert!(
        readme.contains("opens where you left off"),
        "the README says which exercise watch opens"
    );
    // Nothing chosen yet: the first unfinished one.
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("current: passes");
    watch.quit();
    // Moved on with n (or the list): that one, even though an earlier one is unfinished.
    current(&pack, "hangs");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("current: hangs");
}

#[test]
fn h_past_the_last_hint_says_so_in_the_plain_log_too() {
    let pack = Pack::copy("basic");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict passes pass");
    watch.key("h");
    watch.expect("hint passes 1/2");
    watch.key("h");
    watch.expect("hint passes 2/2");
    watch.key("h");
    watch.expect("that was the last hint (2 of 2)");
}
