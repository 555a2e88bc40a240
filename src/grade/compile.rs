//! Direct `rustc` calls, no cargo in the loop. A grade compiles twice: the graded file alone as
//! the crate `exercise` (an rlib), then the hidden tests as a test binary that links it. The
//! learner's file is thus a crate of its own: its macros, inner attributes, glob-importable
//! items and `#[test]`s cannot change how the hidden tests compile (see docs/architecture.md).
//!
//! The compiler runs like a check: in its own process group, under a time limit, killed when
//! the grade is cancelled or asynclings dies. A compiler that fails without pointing at any
//! code (an internal error, `LLVM ERROR: … No space left on device`, a crash) is the machine's
//! problem, so it is an error ("could not run"), never a verdict on the learner.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cargo_metadata::diagnostic::{Diagnostic as RustcDiagnostic, DiagnosticLevel};

use super::Control;
use super::execute::{self, Cancel, Ending, Job, Limits};
use super::libtest::human_seconds;
use super::report::Diagnostic;
use super::toolchain::{DEPS_LIBRARY, Linking, Toolchain};

/// How long one compilation may take. A file of an exercise compiles in well under a second
/// (a few seconds cold, on a loaded machine); a `const` that loops never ends.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrateKind {
    /// The graded file, as the library crate `exercise`.
    Exercise,
    /// The generated root with the hidden tests, as a libtest binary.
    Tests,
}

/// One compilation.
#[derive(Clone)]
pub struct CompileJob<'a> {
    pub kind: CrateKind,
    pub root: &'a Path,
    pub output: &'a Path,
    /// Where rustc lists the source files it read (for the grade cache).
    pub dep_info: &'a Path,
    /// rustc's incremental cache, for grades of a file that is edited and graded again.
    pub incremental: Option<&'a Path>,
    /// `--extern` crates besides the course's dependencies (the compiled exercise).
    pub extra_externs: Vec<(&'a str, &'a Path)>,
    /// Compile with clippy-driver, so clippy's lints are reported as warnings.
    pub clippy: bool,
    /// The folder whose `clippy.toml` configures clippy (say, `disallowed-methods`).
    pub clippy_config: Option<&'a Path>,
    /// Folders whose paths messages should show relative (the course, and where the graded
    /// file lives when it comes from elsewhere).
    pub relative_to: Vec<&'a Path>,
}

pub enum Compiled {
    Built {
        warnings: Vec<Diagnostic>,
    },
    Failed {
        errors: Vec<Diagnostic>,
        /// Shown with the errors: a warning often points at the mistake.
        warnings: Vec<Diagnostic>,
    },
    /// Still compiling at the time limit; stopped. What it was evaluating, if it said.
    TimedOut {
        limit: Duration,
        evaluating: Option<String>,
    },
}

pub fn compile(
    toolchain: &Toolchain,
    course_root: &Path,
    job: &CompileJob<'_>,
    control: &Control,
) -> Result<Compiled> {
    let mut command = command(toolchain, course_root, job);
    if control.in_batch {
        // SAFETY: the hook makes one plain system call.
        unsafe {
            command.pre_exec(|| {
                // Relative to ours; the linker rustc starts inherits it. A failure only
                // leaves the compiler at our priority.
                let _ = libc::nice(BATCH_NICENESS);
                Ok(())
            })
        };
    }
    run(command, &control.cancel)
}

/// How much less CPU priority a compiler gets in a batch than the checks running beside it: a
/// check gets three quarters of a core against a compiler (CFS weights 1024 and 335). Not the
/// lowest priority: a compiler starved by a busy machine must still finish well within
/// [`TIME_LIMIT`], which is measured on the wall clock.
const BATCH_NICENESS: libc::c_int = 5;

/// The compiler's command line for `job` (also what the grade cache's key is made of).
pub fn command(toolchain: &Toolchain, course_root: &Path, job: &CompileJob<'_>) -> Command {
    let compiler = if job.clippy {
        &toolchain.clippy_driver
    } else {
        &toolchain.rustc
    };
    let mut command = Command::new(compiler);
    if let Some(folder) = job.clippy_config {
        command.env("CLIPPY_CONF_DIR", folder);
    }
    command
        .current_dir(course_root)
        .args(["--edition", &toolchain.edition]);
    match job.kind {
        CrateKind::Exercise => command
            .args([
                "--crate-type",
                "rlib",
                "--crate-name",
                super::symbols::CRATE,
            ])
            // Private helpers the learner has not used yet are no reason to fail a lint check.
            .args(["-A", "dead_code"])
            // One file: one codegen unit costs the least (72 → 43 ms of CPU, measured).
            .args(["-C", "codegen-units=1"]),
        // The grader's monomorphised tokio code: 16 units keep both cores busy while costing
        // less than incremental's default 256 (about 370 → 300 ms of CPU, measured).
        CrateKind::Tests => command
            .args(["--test", "--crate-name", "grade"])
            .args(["-C", "codegen-units=16"]),
    };
    if let (CrateKind::Tests, Linking::Dynamic { library, std_dir }) =
        (job.kind, &toolchain.linking)
    {
        // The generated root names the library (`extern crate`), so rustc links the
        // dependencies from it; the rpath lets the binary find it and std's.
        command
            .args(["-C", "prefer-dynamic"])
            .arg("--extern")
            .arg(format!("{DEPS_LIBRARY}={}", library.display()));
        for folder in [library.parent().unwrap_or(Path::new(".")), std_dir] {
            command
                .arg("-C")
                .arg(format!("link-arg=-Wl,-rpath,{}", folder.display()));
        }
    }
    command
        .arg(job.root)
        .arg("-o")
        .arg(job.output)
        .arg(format!("--emit=dep-info={},link", job.dep_info.display()))
        .arg("-L")
        .arg(prefixed("dependency=", &toolchain.deps_dir));
    for dependency in &toolchain.externs {
        command
            .arg("--extern")
            .arg(format!("{}={}", dependency.name, dependency.path.display()));
    }
    for (name, path) in &job.extra_externs {
        command
            .arg("--extern")
            .arg(format!("{name}={}", path.display()));
    }
    command
        // Symbols named in the crate's own namespace, which `symbols.rs` relies on.
        .args(["-C", "symbol-mangling-version=v0"])
        .args(["-C", "debuginfo=0"])
        .args(["--error-format=json", "--json=diagnostic-rendered-ansi"]);
    if let Some(incremental) = job.incremental {
        command.arg("-C").arg(prefixed("incremental=", incremental));
    }
    // Messages and panic locations name files relative to the course, as the learner sees them.
    for folder in &job.relative_to {
        command
            .arg("--remap-path-prefix")
            .arg(format!("{}/=", folder.display()));
    }
    command
}

/// Runs a compiler command made by [`command`].
fn run(command: Command, cancel: &Cancel) -> Result<Compiled> {
    let limits = Limits::compiler(TIME_LIMIT);
    let finished = execute::run_all(vec![Job::Plain(command)], limits, 1, cancel)?.remove(0);
    let stderr = finished.stderr.text();
    let messages = Messages::read(&stderr);
    match finished.ending {
        Ending::Exited(0) => Ok(Compiled::Built {
            warnings: messages.warnings,
        }),
        Ending::Exited(_) if messages.points_at_code() => Ok(Compiled::Failed {
            errors: messages.errors,
            warnings: messages.warnings,
        }),
        Ending::Exited(_) => bail!(
            "the compiler failed without pointing at any code (the machine's problem, not the exercise's):\n{}",
            messages.unexplained()
        ),
        Ending::TimedOut => Ok(Compiled::TimedOut {
            limit: limits.time,
            evaluating: messages.evaluating,
        }),
        Ending::Signaled(signal) => bail!(
            "the compiler was killed by signal {signal} (out of memory?):\n{}",
            messages.unexplained()
        ),
        other => bail!("the compiler did not finish ({other:?})"),
    }
}

/// The standard output of a short tool run (`rustc --print …`, a shared library build) in
/// `dir`; its error output in the error when it fails.
pub fn output_of(command: &mut Command, dir: &Path) -> Result<String> {
    let output = command
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The verdict text of a compile that hit the time limit.
pub fn timeout_message(limit: Duration, evaluating: Option<&str>) -> String {
    let mut message = format!(
        "the compiler was still working after {} and was stopped: a `const` (or `static`) whose evaluation never ends, a loop in a `const fn`?",
        human_seconds(limit)
    );
    if let Some(at) = evaluating {
        message.push_str(&format!(" It was still evaluating the constant at {at}."));
    }
    message
}

/// rustc's stderr, sorted.
struct Messages {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Errors without a place in the code (an internal compiler error, a linker failure) and
    /// lines that are not JSON at all (`LLVM ERROR: …`).
    unplaced: Vec<String>,
    /// Where a "constant evaluation is taking a long time" warning pointed.
    evaluating: Option<String>,
}

impl Messages {
    fn read(stderr: &str) -> Self {
        let mut messages = Self {
            errors: Vec::new(),
            warnings: Vec::new(),
            unplaced: Vec::new(),
            evaluating: None,
        };
        for line in stderr.lines() {
            let Ok(diagnostic) = serde_json::from_str::<RustcDiagnostic>(line) else {
                if !line.trim().is_empty() {
                    messages.unplaced.push(line.to_owned());
                }
                continue;
            };
            let converted = convert(&diagnostic);
            if diagnostic
                .message
                .contains("constant evaluation is taking a long time")
                && let (Some(file), Some(line)) = (&converted.file, converted.line)
            {
                messages.evaluating =
                    Some(format!("{file}:{line}:{}", converted.column.unwrap_or(1)));
            }
            match diagnostic.level {
                DiagnosticLevel::Ice => messages.unplaced.push(plain(&converted)),
                DiagnosticLevel::Error if converted.file.is_some() => {
                    messages.errors.push(converted)
                }
                // Summary lines ("aborting due to 2 previous errors") carry no news.
                DiagnosticLevel::Error if converted.message.starts_with("aborting due to") => {}
                DiagnosticLevel::Error => messages.unplaced.push(plain(&converted)),
                DiagnosticLevel::Warning if converted.file.is_some() => {
                    messages.warnings.push(converted)
                }
                _ => {}
            }
        }
        messages
    }

    /// Whether the failure is explained by errors in the code (the learner's or the grader's).
    fn points_at_code(&self) -> bool {
        !self.errors.is_empty()
    }

    fn unexplained(&self) -> String {
        if self.unplaced.is_empty() {
            "(it printed nothing)".into()
        } else {
            self.unplaced.join("\n")
        }
    }
}

fn plain(diagnostic: &Diagnostic) -> String {
    if diagnostic.rendered.is_empty() {
        format!("{}: {}", diagnostic.level, diagnostic.message)
    } else {
        console::strip_ansi_codes(&diagnostic.rendered)
            .trim_end()
            .to_owned()
    }
}

fn prefixed(prefix: &str, path: &Path) -> String {
    format!("{prefix}{}", path.display())
}

fn level_name(level: &DiagnosticLevel) -> &'static str {
    match level {
        DiagnosticLevel::Error | DiagnosticLevel::Ice => "error",
        DiagnosticLevel::Warning => "warning",
        _ => "note",
    }
}

fn convert(diagnostic: &RustcDiagnostic) -> Diagnostic {
    let primary = diagnostic.spans.iter().find(|s| s.is_primary);
    Diagnostic {
        level: level_name(&diagnostic.level).to_owned(),
        message: diagnostic.message.clone(),
        code: diagnostic.code.as_ref().map(|c| c.code.clone()),
        file: primary.map(|s| s.file_name.clone()),
        line: primary.map(|s| s.line_start),
        column: primary.map(|s| s.column_start),
        rendered: diagnostic.rendered.clone().unwrap_or_default(),
    }
}

/// Where a grade's generated files go, per subject (so grades of different files never share
/// a binary or an incremental cache). Everything but the incremental cache and the lock is in
/// the grade's own folder, which is removed once the grade is over: a test binary outlives its
/// grade only in the grade cache, which is bounded.
pub struct WorkFiles {
    /// The grade's own folder.
    pub dir: PathBuf,
    /// The generated crate root of the tests.
    pub root: PathBuf,
    /// The compiled exercise crate.
    pub rlib: PathBuf,
    pub binary: PathBuf,
    /// What rustc read to build the exercise crate and the test binary (dep-info files).
    pub rlib_sources: PathBuf,
    pub binary_sources: PathBuf,
    /// Kept for grades of the learner's own file in `watch` and `run` (see [`Incremental`]).
    pub incremental: Option<PathBuf>,
    /// Each check's working folder is a numbered folder in here.
    pub scratch: PathBuf,
    pub lock: PathBuf,
}

/// Whether a grade keeps rustc's incremental cache for the next grade of the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incremental {
    /// One-shot grades (`verify`, `dev check`, fixtures): a cache per graded file would be
    /// ~9 MB each, never reused (the grade cache reuses whole binaries instead).
    Off,
    /// A learner's edit-and-save loop: the test binary of an edited exercise relinks in a
    /// quarter of the CPU time. At most [`KEPT_INCREMENTAL`] such caches are kept.
    Kept,
}

/// How many incremental caches (about 9 MB each) `watch` and `run` keep: those of the
/// exercises graded last.
pub const KEPT_INCREMENTAL: usize = 4;

impl WorkFiles {
    pub fn new(work_dir: &Path, key: &str, incremental: Incremental) -> Self {
        let dir = work_dir.join("grades").join(key);
        Self {
            root: dir.join("root.rs"),
            rlib: dir.join(format!("lib{}.rlib", super::symbols::CRATE)),
            binary: dir.join("grade"),
            rlib_sources: dir.join("exercise.d"),
            binary_sources: dir.join("grade.d"),
            incremental: (incremental == Incremental::Kept)
                .then(|| work_dir.join("incremental").join(key)),
            scratch: dir.join("scratch"),
            lock: work_dir.join("locks").join(format!("{key}.lock")),
            dir,
        }
    }
}

impl WorkFiles {
    /// Creates the grade's folder and locks the work files for this process (two asynclings
    /// processes, watch and run in another terminal, must not share a binary). The returned
    /// guard removes the grade's folder, then unlocks, when dropped.
    pub fn prepare(&self) -> Result<InUse> {
        let locks = self.lock.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(locks)
            .with_context(|| format!("cannot create {}", locks.display()))?;
        let lock = std::fs::File::create(&self.lock)
            .with_context(|| format!("cannot create {}", self.lock.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", self.lock.display()))?;
        // Only now: the grade that held the lock removed the folder on its way out.
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        if let Some(incremental) = &self.incremental {
            std::fs::create_dir_all(incremental)
                .with_context(|| format!("cannot create {}", incremental.display()))?;
            // Marks it used last, so pruning keeps it.
            std::fs::File::open(incremental)
                .and_then(|f| f.set_modified(std::time::SystemTime::now()))
                .with_context(|| format!("cannot touch {}", incremental.display()))?;
            if let Some(work_dir) = incremental.parent().and_then(Path::parent) {
                prune_incremental(work_dir, KEPT_INCREMENTAL);
            }
        }
        Ok(InUse {
            dir: self.dir.clone(),
            _lock: lock,
        })
    }
}

/// A grade's work files, locked; removed when dropped.
pub struct InUse {
    dir: PathBuf,
    _lock: std::fs::File,
}

impl Drop for InUse {
    fn drop(&mut self) {
        // Best effort: what is left (a check's process still holding a file) goes with the
        // next grade of the same file.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the incremental caches in `work_dir` but the `keep` used last (by modification
/// time; a grade touches its own), so `watch` over a whole course stays bounded.
pub fn prune_incremental(work_dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(work_dir.join("incremental")) else {
        return;
    };
    let mut caches: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    caches.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, path) in caches.into_iter().skip(keep) {
        // Another process may be using it: then it is simply rebuilt next time.
        let _ = std::fs::remove_dir_all(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_code_are_the_learners_the_rest_is_the_machines() {
        let learner = r#"{"$message_type":"diagnostic","message":"mismatched types","code":{"code":"E0308","explanation":null},"level":"error","spans":[{"file_name":"exercises/a.rs","byte_start":1,"byte_end":2,"line_start":3,"line_end":3,"column_start":5,"column_end":6,"is_primary":true,"text":[],"label":null,"suggested_replacement":null,"suggestion_applicability":null,"expansion":null}],"children":[],"rendered":"error[E0308]: mismatched types"}"#;
        let messages = Messages::read(&format!("{learner}\nLLVM ERROR: out of space\n"));
        assert!(messages.points_at_code());
        assert_eq!(messages.errors[0].file.as_deref(), Some("exercises/a.rs"));
        let disk = Messages::read(
            "LLVM ERROR: IO failure on output stream: No space left on device\n{\"$message_type\":\"diagnostic\",\"message\":\"aborting due to 1 previous error\",\"code\":null,\"level\":\"error\",\"spans\":[],\"children\":[],\"rendered\":\"error: aborting\"}\n",
        );
        assert!(!disk.points_at_code());
        assert_eq!(
            disk.unexplained(),
            "LLVM ERROR: IO failure on output stream: No space left on device"
        );
    }

    #[test]
    fn a_compile_timeout_says_where_it_was_evaluating() {
        assert_eq!(
            timeout_message(Duration::from_secs(30), Some("exercises/a.rs:2:40")),
            "the compiler was still working after 30 s and was stopped: a `const` (or `static`) whose evaluation never ends, a loop in a `const fn`? It was still evaluating the constant at exercises/a.rs:2:40."
        );
    }
}
