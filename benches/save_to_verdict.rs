//! Save-to-verdict: how long a learner waits between saving an exercise and reading the
//! verdict. Prints figures; asserts nothing (timing claims live here, not in tests).
//!
//! `cargo bench --bench save_to_verdict -- [--edits N]`
//!
//! It copies this course to a temp folder (sharing the compiled dependencies), warms up once,
//! then edits files the way a learner does and times `asynclings run` from just before the
//! write to the verdict. Two cases: a passing tokio exercise (its solution, with a changing
//! comment so every grade really recompiles) and a compile error.
//! Set ASYNCLINGS_BIN to time another build of the binary (say, the debug one).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PASSING: &str = "intro1_await";
const BROKEN: &str = "futures1_lookup";

fn main() {
    let edits = std::env::args()
        .skip_while(|a| a != "--edits")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let binary = std::env::var_os("ASYNCLINGS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_asynclings")));
    let course = CourseCopy::new();
    println!("binary: {}", binary.display());
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let passing = course.exercise_file(PASSING);
    let solution = std::fs::read_to_string(
        course
            .dir
            .path()
            .join(format!("solutions/00_intro/{PASSING}.rs")),
    )
    .unwrap();
    let samples = measure(
        edits,
        &binary,
        &course,
        PASSING,
        |round| {
            std::fs::write(&passing, format!("{solution}\n// edit {round}\n")).unwrap();
        },
        0,
    );
    report(&format!("passing tokio exercise ({PASSING})"), &samples);

    let broken = course.exercise_file(BROKEN);
    let shipped = std::fs::read_to_string(&broken).unwrap();
    let samples = measure(
        edits,
        &binary,
        &course,
        BROKEN,
        |round| {
            std::fs::write(
                &broken,
                format!("{shipped}\npub fn oops() -> u32 {{ \"edit {round}\" }}\n"),
            )
            .unwrap();
        },
        1,
    );
    report(&format!("compile error ({BROKEN})"), &samples);
}

/// Grades once to warm up, then `edits` times after `edit(round)`; returns the durations.
fn measure(
    edits: usize,
    binary: &Path,
    course: &CourseCopy,
    name: &str,
    edit: impl Fn(usize),
    expected: i32,
) -> Vec<Duration> {
    edit(0);
    course.grade(binary, name, expected);
    (1..=edits)
        .map(|round| {
            let started = Instant::now();
            edit(round);
            course.grade(binary, name, expected);
            let took = started.elapsed();
            // Let the file system's mtime granularity and the machine settle between saves.
            std::thread::sleep(Duration::from_millis(50));
            took
        })
        .collect()
}

fn report(case: &str, samples: &[Duration]) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{case}: median {:.0} ms, min {:.0} ms, max {:.0} ms over {} edits",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    );
}

/// The course copied to a temp folder, its dependencies pointing back at this repository.
struct CourseCopy {
    dir: tempfile::TempDir,
}

impl CourseCopy {
    fn new() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        for entry in ["exercises", "solutions", "tests/graders", "tests/seal.toml"] {
            copy(&repo.join(entry), &dir.path().join(entry));
        }
        let info = std::fs::read_to_string(repo.join("info.toml")).unwrap();
        let manifest = repo.join("course/Cargo.toml");
        std::fs::write(
            dir.path().join("info.toml"),
            info.replacen(
                "format = 1",
                &format!(
                    "format = 1\ndependencies = {:?}",
                    manifest.display().to_string()
                ),
                1,
            ),
        )
        .unwrap();
        Self { dir }
    }

    fn exercise_file(&self, name: &str) -> PathBuf {
        let mut found = Vec::new();
        collect(&self.dir.path().join("exercises"), &mut found);
        found
            .into_iter()
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .unwrap()
    }

    fn grade(&self, binary: &Path, name: &str, expected: i32) {
        let output = Command::new(binary)
            .args(["run", name])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            collect(&entry.path(), into);
        } else {
            into.push(entry.path());
        }
    }
}
