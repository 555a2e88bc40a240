use std::time::Duration;

use crate::support::Pack;
use crate::watching::Watch;

const FIXED_ANSWER: &str = "//! The answer.\npub fn answer() -> u32 {\n    42\n}\n";

fn grades_of(watch: &Watch, name: &str) -> usize {
    watch
        .seen()
        .iter()
        .filter(|l| **l == format!("grading {name}"))
        .count()
}

/// Lets the watcher settle, so events of one step never spill into the next.
fn pause() {
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn opens_on_the_first_unfinished_exercise_and_regrades_on_save() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"]).status(0).run();
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("current: fails_check (exercises/01_demo/fails_check.rs)");
    watch.expect("verdict fails_check fail");
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    watch.expect("saved exercises/01_demo/fails_check.rs");
    watch.expect("verdict fails_check pass");
    watch.expect("Well done! Compare with solutions/01_demo/fails_check.rs");
    assert_eq!(watch.quit(), Some(0));
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("Progress: 2/4")
        .run();
}

#[test]
fn editor_saves_are_one_grade_each() {
    let pack = Pack::copy("basic");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict passes pass");
    let target = pack.path("exercises/01_demo/passes.rs");
    let dir = pack.path("exercises/01_demo");
    let shipped = pack.read("exercises/01_demo/passes.rs");

    // vim (backupcopy=no): swap file, write a new file, rename the old one to a backup.
    std::fs::write(dir.join(".passes.rs.swp"), "swap").unwrap();
    std::fs::write(dir.join("4913"), "").unwrap();
    std::fs::remove_file(dir.join("4913")).unwrap();
    std::fs::rename(&target, dir.join("passes.rs~")).unwrap();
    std::fs::write(&target, format!("{shipped}// vim\n")).unwrap();
    std::fs::remove_file(dir.join("passes.rs~")).unwrap();
    watch.expect("verdict passes pass");
    pause();
    assert_eq!(
        grades_of(&watch, "passes"),
        2,
        "one grade at start, one for the save"
    );

    // JetBrains safe write: temp file, original renamed away, temp renamed over it.
    std::fs::write(
        dir.join("passes.rs___jb_tmp___"),
        format!("{shipped}// idea\n"),
    )
    .unwrap();
    std::fs::rename(&target, dir.join("passes.rs___jb_old___")).unwrap();
    std::fs::rename(dir.join("passes.rs___jb_tmp___"), &target).unwrap();
    std::fs::remove_file(dir.join("passes.rs___jb_old___")).unwrap();
    watch.expect("verdict passes pass");
    pause();
    assert_eq!(grades_of(&watch, "passes"), 3);

    // nano / VS Code: truncate, then write in pieces; emacs adds a lock symlink first.
    std::os::unix::fs::symlink("user@host.1234", dir.join(".#passes.rs")).unwrap();
    let mut file = std::fs::File::create(&target).unwrap();
    use std::io::Write;
    file.write_all(shipped.as_bytes()).unwrap();
    file.flush().unwrap();
    file.write_all(b"// nano\n").unwrap();
    drop(file);
    std::fs::remove_file(dir.join(".#passes.rs")).unwrap();
    watch.expect("verdict passes pass");
    pause();
    assert_eq!(grades_of(&watch, "passes"), 4);
    assert!(
        !watch
            .seen()
            .iter()
            .any(|l| l.contains("swp") || l.contains("jb_") || l.contains(".#"))
    );
}

#[test]
fn a_write_after_a_closed_save_replaces_the_grade_the_close_started() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"]).status(0).run();
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict fails_check fail");
    // The first save is complete when its file is closed: grading starts then (it never
    // finishes: the check loops). The second, within the debounce, must replace it.
    pack.write(
        "exercises/01_demo/fails_check.rs",
        "//! The answer.\npub fn answer() -> u32 {\n    loop {}\n}\n",
    );
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    watch.expect("cancelled the grade in flight");
    watch.expect("verdict fails_check pass");
    pause();
    let verdicts: Vec<&str> = watch
        .seen()
        .iter()
        .filter_map(|l| l.strip_prefix("verdict fails_check "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(
        verdicts,
        ["fail", "pass"],
        "the replaced grade's verdict is never shown:\n{}",
        watch.seen().join("\n")
    );
}

#[test]
fn a_save_during_a_hanging_grade_kills_it_and_grades_the_new_file() {
    let pack = Pack::copy("basic");
    // `hangs` is the current exercise; its shipped file never finishes (limit: 2 s).
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent hangs\n",
    );
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("grading hangs");
    let fixed = pack.read("solutions/01_demo/hangs.rs");
    pack.write("exercises/01_demo/hangs.rs", &fixed);
    watch.expect("cancelled the grade in flight");
    watch.expect("verdict hangs pass");
    assert!(
        !watch.seen().iter().any(|l| l.contains("timeout")),
        "the hanging grade must be killed, not waited for:\n{}",
        watch.seen().join("\n")
    );
    // Nothing of the killed grade is left running.
    let binary = pack.path("target/asynclings/grades/exercise-hangs/grade");
    assert!(
        !processes_running(&binary),
        "a test process of the cancelled grade survived"
    );
    assert_eq!(watch.quit(), Some(0));
}

#[test]
fn a_hang_is_stopped_at_its_limit_and_watch_keeps_watching() {
    let pack = Pack::copy("basic");
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent hangs\n",
    );
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict hangs timeout in");
    let fixed = pack.read("solutions/01_demo/hangs.rs");
    pack.write("exercises/01_demo/hangs.rs", &fixed);
    watch.expect("verdict hangs pass");
}

#[test]
fn saving_another_exercise_grades_that_one_and_says_so() {
    let pack = Pack::copy("basic");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict passes pass");
    pack.write("exercises/01_demo/fails_check.rs", FIXED_ANSWER);
    watch.expect("you saved exercises/01_demo/fails_check.rs, not the current exercise passes: grading fails_check instead");
    watch.expect("verdict fails_check pass");
}

#[test]
fn a_deleted_exercise_is_reported_and_x_restores_it() {
    let pack = Pack::copy("basic");
    pack.sh("git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm shipped");
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent fails_check\n",
    );
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict fails_check fail");
    std::fs::remove_file(pack.path("exercises/01_demo/fails_check.rs")).unwrap();
    watch.expect(
        "exercises/01_demo/fails_check.rs was deleted: press x to restore the shipped version",
    );
    watch.key("x");
    watch.expect("Reset fails_check to its shipped version");
    watch.key("y");
    watch.expect("restored exercises/01_demo/fails_check.rs to its shipped version");
    watch.expect("verdict fails_check fail");
    assert!(
        pack.read("exercises/01_demo/fails_check.rs")
            .contains("41 // TODO")
    );
}

#[test]
fn keys_give_hints_the_list_and_move_on_after_success() {
    let pack = Pack::copy("basic");
    let mut watch = Watch::start(&pack.path("."));
    watch.expect("verdict passes pass");
    watch.key("h");
    watch.expect("hint passes 1/2: It already works.");
    watch.key("h");
    watch.expect("hint passes 2/2: Really.");
    watch.key("s");
    watch.expect("solution passes: solutions/01_demo/passes.rs");
    watch.key("l");
    watch.expect("list 4 pending hangs");
    watch.key("esc");
    watch.key("n");
    watch.expect("current: fails_check");
    watch.expect("verdict fails_check fail");
    watch.key("n");
    watch.expect("fails_check is not done yet: n moves on once it passes");
    watch.key("s");
    watch.expect("the solution opens once this exercise passes");
}

/// Whether any process runs `binary` (Linux: /proc).
fn processes_running(binary: &std::path::Path) -> bool {
    let needle = binary.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&needle))
        })
}
