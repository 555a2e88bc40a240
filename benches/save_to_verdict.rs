//! Save-to-verdict: how long a learner waits between saving an exercise and reading the
//! verdict. Prints figures; asserts nothing (timing claims live here, not in tests).
//!
//! `cargo bench --bench save_to_verdict -- [--edits N]`
//!
//! It copies this course to a temp folder (sharing the compiled dependencies), warms up once,
//! then edits files the way a learner does, in two modes:
//! - `run`: `asynclings run NAME`, from just before the write to its exit (verdict printed);
//! - `watch`: a running `asynclings watch` (plain output), from just before the write to the
//!   verdict line, debounce included.
//!
//! Two cases each: a passing tokio exercise (its solution, with a changing comment so every
//! grade really recompiles: no content is graded twice, so the grade cache never answers) and a
//! compile error. Then a warm `verify --solutions` (every
//! solution already built once: the grade cache's case), per exercise. Last, watch's idle CPU
//! and memory.
//!
//! The machine is shared and noisy, so the run also times a baseline: `rustc` compiling and
//! linking a small program, at the start and at the end. Each figure is printed with its ratio
//! to that baseline: a later run on a busier machine has larger figures but similar ratios, and a
//! regression shows as a larger ratio. The summary names issue 12's targets.
//! Set ASYNCLINGS_BIN to time another build of the binary (say, the debug one).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
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
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split(' ')
            .next()
            .unwrap_or("?")
    );

    let baseline_before = baseline();
    println!(
        "baseline (rustc builds a small program): median {:.0} ms",
        ms(baseline_before)
    );

    let passing = course.exercise_file(PASSING);
    let solution = std::fs::read_to_string(
        course
            .dir
            .path()
            .join(format!("solutions/00_intro/{PASSING}.rs")),
    )
    .unwrap();
    let edit_passing =
        |round: usize| std::fs::write(&passing, format!("{solution}\n// edit {round}\n")).unwrap();
    let broken = course.exercise_file(BROKEN);
    let shipped = std::fs::read_to_string(&broken).unwrap();
    let edit_broken = |round: usize| {
        std::fs::write(
            &broken,
            format!("{shipped}\npub fn oops() -> u32 {{ \"edit {round}\" }}\n"),
        )
        .unwrap()
    };

    let run_passing = report(
        &format!("run, passing tokio exercise ({PASSING})"),
        &course.time_runs(&binary, PASSING, 0, edits, &edit_passing),
    );
    let run_broken = report(
        &format!("run, compile error ({BROKEN})"),
        &course.time_runs(&binary, BROKEN, 1, edits, &edit_broken),
    );

    // Contents `run` never graded: the grade cache must not answer for watch.
    let fresh = 1000;
    let watch = WatchProcess::start(&binary, &course, PASSING);
    let watch_passing = report(
        &format!("watch, passing tokio exercise ({PASSING})"),
        &watch.time_saves(PASSING, edits, &|round| edit_passing(fresh + round)),
    );
    let watch_broken = report(
        &format!("watch, compile error ({BROKEN})"),
        &watch.time_saves(BROKEN, edits, &|round| edit_broken(fresh + round)),
    );
    watch.idle(Duration::from_secs(10));
    drop(watch);

    let exercises = course.exercise_count();
    let verify = course.time_verify_solutions(&binary, 3);
    let verify_each = report(
        &format!("warm verify --solutions ({exercises} exercises), whole run"),
        &verify,
    ) / exercises as u32;

    let baseline_after = baseline();
    let base = (baseline_before + baseline_after) / 2;
    println!(
        "\nbaseline: {:.0} ms at the start, {:.0} ms at the end; ratios below are to their mean",
        ms(baseline_before),
        ms(baseline_after)
    );
    println!(
        "{:<52} {:>8} {:>8} {:>7}",
        "figure (median)", "ms", "target", "ratio"
    );
    for (figure, value, target) in [
        (
            "warm verify --solutions, per exercise",
            verify_each,
            Some(60),
        ),
        (
            "watch: save -> verdict, passing tokio exercise",
            watch_passing,
            Some(250),
        ),
        (
            "watch: save -> verdict, compile error",
            watch_broken,
            Some(100),
        ),
        ("run: passing tokio exercise", run_passing, None),
        ("run: compile error", run_broken, Some(100)),
    ] {
        let target = target.map_or("-".to_owned(), |t: u32| {
            let met = if ms(value) <= f64::from(t) { "" } else { "!" };
            format!("{met}{t}")
        });
        println!(
            "{figure:<52} {:>8.0} {target:>8} {:>7.2}",
            ms(value),
            value.as_secs_f64() / base.as_secs_f64()
        );
    }
    println!("(\"!\": target not met)");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints the samples' median, min and max; returns the median.
fn report(case: &str, samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    println!(
        "{case}: median {:.0} ms, min {:.0} ms, max {:.0} ms over {} samples",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    );
    sorted[sorted.len() / 2]
}

/// The machine's speed right now at what grading does most: the median of 5 builds of a small
/// program (a thread, a channel, a formatted print) by `rustc`, compile and link.
fn baseline() -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("baseline.rs");
    std::fs::write(
        &source,
        "fn main() {\n    let (tx, rx) = std::sync::mpsc::channel();\n    std::thread::spawn(move || tx.send(42).unwrap());\n    println!(\"{}\", rx.recv().unwrap());\n}\n",
    )
    .unwrap();
    let mut samples: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new("rustc")
                .args(["-C", "debuginfo=0", "-o"])
                .arg(dir.path().join("baseline"))
                .arg(&source)
                .status()
                .unwrap();
            assert!(status.success());
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples[2]
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
        let dependencies = format!(
            "format = 1\ndependencies = {:?}",
            manifest.display().to_string()
        );
        std::fs::write(
            dir.path().join("info.toml"),
            info.replacen("format = 1", &dependencies, 1),
        )
        .unwrap();
        Self { dir }
    }

    fn exercise_count(&self) -> usize {
        let info = std::fs::read_to_string(self.dir.path().join("info.toml")).unwrap();
        info.lines().filter(|l| l.trim() == "[[exercises]]").count()
    }

    /// Times `rounds` runs of `verify --solutions` after one that builds (and caches) them all.
    fn time_verify_solutions(&self, binary: &Path, rounds: usize) -> Vec<Duration> {
        let verify = || {
            let output = Command::new(binary)
                .args(["verify", "--solutions"])
                .current_dir(self.dir.path())
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&output.stdout)
            );
        };
        verify();
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                verify();
                started.elapsed()
            })
            .collect()
    }

    fn exercise_file(&self, name: &str) -> PathBuf {
        let mut found = Vec::new();
        collect(&self.dir.path().join("exercises"), &mut found);
        found
            .into_iter()
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .unwrap()
    }

    /// Times `edits` rounds of edit + `asynclings run NAME` (after one warm-up round).
    fn time_runs(
        &self,
        binary: &Path,
        name: &str,
        expected: i32,
        edits: usize,
        edit: &dyn Fn(usize),
    ) -> Vec<Duration> {
        let grade = || {
            let output = Command::new(binary)
                .args(["run", name])
                .current_dir(self.dir.path())
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(expected),
                "{}",
                String::from_utf8_lossy(&output.stdout)
            );
        };
        edit(0);
        grade();
        (1..=edits)
            .map(|round| {
                // Let the machine settle between saves, as a learner's typing does.
                std::thread::sleep(Duration::from_millis(200));
                let started = Instant::now();
                edit(round);
                grade();
                started.elapsed()
            })
            .collect()
    }
}

/// A running `asynclings watch` and its output lines.
struct WatchProcess {
    child: Child,
    lines: Receiver<String>,
}

impl WatchProcess {
    fn start(binary: &Path, course: &CourseCopy, current: &str) -> Self {
        let state = format!("# asynclings progress, format 1\ncurrent {current}\n");
        std::fs::write(course.dir.path().join(".asynclings-state.txt"), state).unwrap();
        let mut child = Command::new(binary)
            .arg("watch")
            .current_dir(course.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let watch = Self { child, lines };
        watch.next_verdict(current);
        watch
    }

    fn next_verdict(&self, name: &str) {
        let prefix = format!("verdict {name} ");
        while !self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("watch prints a verdict")
            .starts_with(&prefix)
        {}
    }

    /// Times `edits` rounds of edit → verdict line (after one warm-up round).
    fn time_saves(&self, name: &str, edits: usize, edit: &dyn Fn(usize)) -> Vec<Duration> {
        edit(0);
        self.next_verdict(name);
        (1..=edits)
            .map(|round| {
                std::thread::sleep(Duration::from_millis(200));
                let started = Instant::now();
                edit(round);
                self.next_verdict(name);
                started.elapsed()
            })
            .collect()
    }

    /// CPU time and memory of a watch with nothing to do.
    fn idle(&self, period: Duration) {
        let pid = self.child.id();
        let cpu_ticks = || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            // utime and stime (fields 14 and 15 of /proc/PID/stat), in 1/100 s.
            fields.get(11..13).map_or(0, |f| {
                f.iter().map(|v| v.parse::<u64>().unwrap_or(0)).sum::<u64>()
            })
        };
        std::thread::sleep(Duration::from_secs(1));
        let before = cpu_ticks();
        std::thread::sleep(period);
        let ticks = cpu_ticks() - before;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .map_or("?".into(), |l| l[6..].trim().to_owned());
        println!(
            "watch idle: {} ms of CPU in {} s ({:.2}% of a core), resident memory {rss}",
            ticks * 10,
            period.as_secs(),
            ticks as f64 / period.as_secs_f64()
        );
    }
}

impl Drop for WatchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
