//! Where asynclings writes and how much it keeps: everything under the target directory in use,
//! no test binary or incremental cache per graded file left behind by one-shot grades, and a
//! grade cache that never lets an earlier binary stand in for a changed file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::Pack;

/// Every file under `dir` with its content (the progress file included).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The target directory this test binary was built in (`<target>/debug/deps/cli-…`), where the
/// course's dependencies are already compiled.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn set_read_only(dir: &Path, read_only: bool) {
    let mode = if read_only { "a-w" } else { "u+w" };
    let status = std::process::Command::new("chmod")
        .args(["-R", mode])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_read_only_checkout_with_a_target_directory_elsewhere_can_be_graded() {
    let pack = Pack::copy_at("basic", "read-only-course");
    let target = target_dir();
    let before = snapshot(&pack.path("."));
    set_read_only(&pack.path("."), true);
    let target_text = target.display().to_string();
    pack.asynclings(&["run", "fails_check"])
        .env("CARGO_TARGET_DIR", &target_text)
        .status(1)
        .stdout_has("the answer is off by one: expected 42, got 41")
        .run();
    pack.asynclings(&["run", "compile_error"])
        .env("CARGO_TARGET_DIR", &target_text)
        .status(1)
        .stdout_has("compile_error.rs")
        .run();
    set_read_only(&pack.path("."), false);
    // Not a file written, not even a lock or an empty `target/`.
    assert_eq!(
        snapshot(&pack.path(".")).keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    assert!(snapshot(&pack.path(".")) == before, "a file changed");
    assert!(!pack.path("target").exists());
    // The work files are in the target directory, in a folder of this course's own.
    let work: Vec<PathBuf> = entries(&target.join("asynclings"))
        .into_iter()
        .filter(|name| name.starts_with("read-only-course-"))
        .map(|name| target.join("asynclings").join(name))
        .filter(|dir| {
            std::fs::read_to_string(dir.join("toolchain.json")).is_ok_and(|_| true)
                && dir.join("locks/exercise-fails_check.lock").exists()
        })
        .collect();
    assert!(!work.is_empty(), "no work folder in {}", target.display());
    for dir in work {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn one_shot_grades_leave_no_binary_or_incremental_cache_behind() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["verify", "--solutions"]).status(0).run();
    let work = pack.path("target/asynclings");
    assert_eq!(entries(&work.join("grades")), Vec::<String>::new());
    assert!(!work.join("incremental").exists());
    // What is kept is the grade cache: one binary per solution.
    assert_eq!(entries(&work.join("cache")).len(), 4);

    // The learner's edit loop keeps an incremental cache, for the exercise graded.
    pack.asynclings(&["run", "fails_check"]).status(1).run();
    assert_eq!(
        entries(&work.join("incremental")),
        vec!["exercise-fails_check"]
    );
    assert_eq!(entries(&work.join("grades")), Vec::<String>::new());
}

#[test]
fn the_grade_cache_never_stands_in_for_a_changed_file() {
    let pack = Pack::copy("basic");
    let solution = pack.read("solutions/01_demo/fails_check.rs");
    let shipped = pack.read("exercises/01_demo/fails_check.rs");
    let run = |status: i32, text: &str| {
        pack.asynclings(&["run", "fails_check"])
            .status(status)
            .stdout_has(text)
            .run();
    };
    run(1, "the answer is off by one");
    pack.write("exercises/01_demo/fails_check.rs", &solution);
    run(0, "passes all 2 checks");
    // Back to the shipped file: its cached binary is used, and it fails as it did.
    pack.write("exercises/01_demo/fails_check.rs", &shipped);
    run(1, "the answer is off by one");
    let cache = pack.path("target/asynclings/cache");
    assert_eq!(entries(&cache).len(), 2, "one entry per content");
    // A damaged entry is rebuilt, not run: every cached binary is truncated.
    for entry in entries(&cache) {
        let binary = cache.join(entry).join("grade");
        let bytes = std::fs::read(&binary).unwrap();
        std::fs::remove_file(&binary).unwrap();
        std::fs::write(&binary, &bytes[..bytes.len() / 2]).unwrap();
    }
    run(1, "the answer is off by one");
    pack.write("exercises/01_demo/fails_check.rs", &solution);
    run(0, "passes all 2 checks");
}

#[test]
fn a_file_the_grader_reads_at_compile_time_invalidates_the_cached_binary() {
    let pack = Pack::copy("basic");
    pack.write(
        "tests/graders/01_demo/fails_check.rs",
        "use crate::exercise::answer;\n\n\
         const EXPECTED: &str = include_str!(\"expected.txt\");\n\n\
         #[test]\nfn answers_as_expected() {\n    \
         assert_eq!(answer().to_string(), EXPECTED.trim(), \"not the expected answer\");\n}\n",
    );
    pack.write("tests/graders/01_demo/expected.txt", "42\n");
    pack.asynclings(&["dev", "seal"]).status(0).run();
    let solution = pack.read("solutions/01_demo/fails_check.rs");
    pack.write("exercises/01_demo/fails_check.rs", &solution);
    pack.asynclings(&["run", "fails_check"]).status(0).run();
    // Nothing the cache key hashes changed, but a source rustc read did.
    pack.write("tests/graders/01_demo/expected.txt", "41\n");
    pack.asynclings(&["run", "fails_check"])
        .status(1)
        .stdout_has("not the expected answer")
        .run();
}
