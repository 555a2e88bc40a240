//! Grading integrity, as a student trying to pass without solving would test it: every cheat
//! of tests/cheats/ rejected with its verdict and nothing it started left running; signals and
//! SIGKILL stop every process a grade started; a class graded against the instructor's tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::{self, Pack, asynclings_command, stdout};

/// Marks every process a grade starts (the environment is inherited all the way down, also by
/// a process that detached with setsid), so the process table can be searched for leftovers.
const TAG: &str = "ASYNCLINGS_TEST_TAG";

fn unique_tag(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{}-{nanos}", std::process::id())
}

/// The processes whose environment carries `tag`, with their command lines.
fn tagged(tag: &str) -> Vec<String> {
    let needle = format!("{TAG}={tag}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == needle.as_bytes())
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{}: {}",
                name.to_string_lossy(),
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

/// Waits up to `limit` for the tagged processes to go; what is left.
fn leftovers_after(tag: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = tagged(tag);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// This repository's course, copied (its dependencies still built here, once for all).
fn course_copy() -> tempfile::TempDir {
    let repo = Pack::root();
    let dir = tempfile::tempdir().unwrap();
    for folder in ["exercises", "solutions", "tests/graders"] {
        copy_dir(&repo.join(folder), &dir.path().join(folder));
    }
    std::fs::copy(
        repo.join("tests/seal.toml"),
        dir.path().join("tests/seal.toml"),
    )
    .unwrap();
    let info = std::fs::read_to_string(repo.join("info.toml")).unwrap();
    let manifest = repo.join("course/Cargo.toml");
    let dependencies = format!(
        "format = 1\ndependencies = {:?}",
        manifest.display().to_string()
    );
    std::fs::write(
        dir.path().join("info.toml"),
        info.replacen("format = 1", &dependencies, 1),
    )
    .unwrap();
    dir
}

fn cheats() -> Vec<PathBuf> {
    fn walk(dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), into);
            } else if entry.path().extension().is_some_and(|e| e == "rs") {
                into.push(entry.path());
            }
        }
    }
    let mut found = Vec::new();
    walk(&Pack::root().join("tests/cheats"), &mut found);
    found.sort();
    found
}

/// Grades `cheat` as the learner's file of its exercise, in a fresh copy of the course; checks
/// the verdict its `// expect` line names, and that nothing the grade started is left.
fn grade_cheat(cheat: &Path) -> Result<(), String> {
    let relative = cheat
        .strip_prefix(Pack::root().join("tests/cheats"))
        .unwrap();
    let mut parts = relative.iter().map(|p| p.to_string_lossy().into_owned());
    let (chapter, exercise) = (parts.next().unwrap(), parts.next().unwrap());
    let source = std::fs::read_to_string(cheat).unwrap();
    let fragment = source
        .lines()
        .find_map(|l| l.strip_prefix("// expect "))
        .and_then(|l| l.split_once(": "))
        .map(|(_, fragment)| fragment.to_owned())
        .unwrap();
    let course = course_copy();
    let root = course.path();
    let exercise_file = root.join(format!("exercises/{chapter}/{exercise}.rs"));
    std::fs::write(&exercise_file, &source).unwrap();
    let grader = root.join(format!("tests/graders/{chapter}/{exercise}.rs"));
    let (grader_before, seal_before) = (
        std::fs::read(&grader).unwrap(),
        std::fs::read(root.join("tests/seal.toml")).unwrap(),
    );
    let tag = unique_tag("cheat");
    let output = asynclings_command()
        .args(["run", &exercise])
        .env(TAG, &tag)
        .current_dir(root)
        .output()
        .unwrap();
    let verdict = stdout(&output);
    let name = relative.display();
    if output.status.code() != Some(1) || !verdict.contains(&fragment) {
        return Err(format!(
            "{name}: expected status 1 and \"{fragment}\", got {:?}:\n{verdict}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let left = tagged(&tag);
    if !left.is_empty() {
        return Err(format!("{name} left processes running: {left:#?}"));
    }
    let progress = std::fs::read_to_string(root.join(".asynclings-state.txt")).unwrap_or_default();
    if progress.contains("done") {
        return Err(format!("{name}: the progress file says {progress:?}"));
    }
    if std::fs::read(&grader).unwrap() != grader_before
        || std::fs::read(root.join("tests/seal.toml")).unwrap() != seal_before
    {
        return Err(format!("{name}: the hidden test or the seal was rewritten"));
    }
    Ok(())
}

#[test]
fn every_cheat_is_rejected_and_leaves_no_process_behind() {
    let queue = Mutex::new(cheats());
    assert!(
        queue.lock().unwrap().len() >= 12,
        "one cheat per kind in tests/cheats/"
    );
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let Some(cheat) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    if let Err(problem) = grade_cheat(&cheat) {
                        failures.lock().unwrap().push(problem);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A learner's file for the basic pack's `hangs` that detaches a process of its own, then
/// hangs; its time limit raised so that only a signal ends the grade.
fn hanging_pack() -> Pack {
    let pack = Pack::copy("basic");
    let info = pack
        .read("info.toml")
        .replace("time_limit_secs = 2", "time_limit_secs = 120");
    pack.write("info.toml", &info);
    let hangs = pack.read("exercises/01_demo/hangs.rs").replace(
        "    println!(\"waiting for an answer\");",
        "    println!(\"waiting for an answer\");\n    let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"300\"]).spawn();",
    );
    pack.write("exercises/01_demo/hangs.rs", &hangs);
    pack
}

/// Starts `asynclings run hangs` and waits until its check is running.
fn start_hanging_grade(pack: &Pack, tag: &str) -> Child {
    let child = asynclings_command()
        .args(["run", "hangs"])
        .env(TAG, tag)
        .current_dir(pack.path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !tagged(tag).iter().any(|p| p.contains("sleep 300")) {
        assert!(Instant::now() < deadline, "the check never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn a_signal_to_run_stops_every_process_the_grade_started() {
    let pack = hanging_pack();
    for (signal, status) in [
        (libc::SIGTERM, 143),
        (libc::SIGINT, 130),
        (libc::SIGHUP, 129),
    ] {
        let tag = unique_tag("signal");
        let mut child = start_hanging_grade(&pack, &tag);
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as i32, signal) };
        let started = Instant::now();
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "after signal {signal}");
        assert!(started.elapsed() < Duration::from_secs(20));
        let left = leftovers_after(&tag, Duration::from_secs(2));
        assert!(left.is_empty(), "signal {signal} left {left:#?}");
    }
}

#[test]
fn processes_die_with_asynclings_even_when_it_is_killed() {
    let pack = hanging_pack();
    let tag = unique_tag("sigkill");
    let mut child = start_hanging_grade(&pack, &tag);
    child.kill().unwrap();
    child.wait().unwrap();
    let left = leftovers_after(&tag, Duration::from_secs(10));
    assert!(left.is_empty(), "SIGKILL of asynclings left {left:#?}");
}

/// A student who rewrote a hidden test and resealed passes in their own copy, but not when
/// graded against the instructor's tests.
#[test]
fn a_class_is_graded_against_the_instructors_tests() {
    let instructor = Pack::copy("basic");
    let student = Pack::copy("basic");
    student.write(
        "tests/graders/01_demo/fails_check.rs",
        "#[test]\nfn answers_forty_two() {}\n#[test]\nfn answers_something() {}\n",
    );
    student.asynclings(&["dev", "seal"]).status(0).run();
    student
        .asynclings(&["run", "fails_check"])
        .status(0)
        .stdout_has("passes all 2 checks")
        .run();
    let instructor_dir = instructor.path("").display().to_string();
    student
        .asynclings(&["verify", "--tests-from", &instructor_dir])
        .status(1)
        .stdout_has("✗ fails_check")
        .stdout_has("the answer is off by one")
        .run();
    // The same from a git revision of the template, extracted outside the repository.
    let repo = Pack::copy("basic");
    repo.sh("git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm template && git tag template");
    repo.write(
        "tests/graders/01_demo/fails_check.rs",
        "#[test]\nfn answers_forty_two() {}\n#[test]\nfn answers_something() {}\n",
    );
    repo.asynclings(&["dev", "seal"]).status(0).run();
    repo.asynclings(&["verify", "--tests-from", "template", "--chapter", "01_demo"])
        .status(1)
        .stdout_has("the answer is off by one")
        .run();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "template"])
        .current_dir(repo.path(""))
        .output()
        .unwrap();
    let extracted = std::env::temp_dir()
        .join("asynclings-tests-from")
        .join(String::from_utf8_lossy(&commit.stdout).trim());
    assert!(extracted.join("info.toml").is_file());
    let _ = std::fs::remove_dir_all(extracted);
    // Inside the student's repository, the student's cargo configuration would apply.
    repo.sh("mkdir -p nested && cp -r info.toml exercises solutions tests nested/");
    repo.asynclings(&["verify", "--tests-from", "nested"])
        .status(2)
        .run();
}

#[test]
fn a_compiler_that_fails_without_pointing_at_code_is_could_not_run() {
    let pack = Pack::copy("basic");
    // The compiled exercise's place is taken by a folder: rustc cannot write it.
    std::fs::create_dir_all(
        pack.path("target/asynclings/grades/exercise-passes/libexercise.rlib/x"),
    )
    .unwrap();
    let output = pack.asynclings(&["run", "passes"]).status(3).run();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the compiler failed without pointing at any code"),
        "{stderr}"
    );
}

#[test]
fn seal_lists_the_checks_and_a_grade_without_them_is_unsealed() {
    let pack = Pack::copy("basic");
    assert!(
        pack.read("tests/seal.toml")
            .contains("\"tests/graders/01_demo/fails_check.rs\" = [")
    );
    let seal = pack.read("tests/seal.toml");
    let without = seal[..seal.find("[checks]").unwrap()].to_owned();
    pack.write("tests/seal.toml", &without);
    pack.asynclings(&["run", "passes"])
        .status(1)
        .stdout_has("hidden files are not sealed yet, so a grade could not be trusted")
        .stdout_has("lists no checks for tests/graders/01_demo/passes.rs")
        .run();
    pack.asynclings(&["dev", "check"])
        .status(1)
        .stdout_has(&format!(
            "tests/seal.toml lists no checks for `passes`: run `{}`",
            support::command("dev seal")
        ))
        .run();
}
