//! Compiling a learner's file and its hidden tests into one test binary with a direct `rustc`
//! call: no cargo in the loop, so a grade costs one compile of two small files against
//! dependencies built once.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use cargo_metadata::diagnostic::{Diagnostic as RustcDiagnostic, DiagnosticLevel};

use super::execute::{self, Cancel, Ending, Limits};
use super::report::Diagnostic;
use super::toolchain::Toolchain;

/// One compilation.
pub struct CompileJob<'a> {
    /// The generated crate root that includes the subject and the grader.
    pub root: &'a Path,
    pub binary: &'a Path,
    pub incremental: &'a Path,
    /// Compile with clippy-driver, so clippy's lints are reported as warnings.
    pub clippy: bool,
    /// The folder whose `clippy.toml` configures clippy (say, `disallowed-methods`).
    pub clippy_config: Option<&'a Path>,
}

pub struct Compiled {
    pub success: bool,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

pub fn compile(
    toolchain: &Toolchain,
    course_root: &Path,
    job: &CompileJob<'_>,
    cancel: &Cancel,
) -> Result<Compiled> {
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
        .args([
            "--edition",
            &toolchain.edition,
            "--test",
            "--crate-name",
            "grade",
        ])
        .arg(job.root)
        .arg("-o")
        .arg(job.binary)
        .arg("-L")
        .arg(prefixed("dependency=", &toolchain.deps_dir));
    for dependency in &toolchain.externs {
        command
            .arg("--extern")
            .arg(format!("{}={}", dependency.name, dependency.path.display()));
    }
    command
        .args(["-C", "debuginfo=0", "-C"])
        .arg(prefixed("incremental=", job.incremental))
        .args(["--error-format=json", "--json=diagnostic-rendered-ansi"])
        // Messages and panic locations name files relative to the course, as the learner sees them.
        .arg("--remap-path-prefix")
        .arg(format!("{}/=", course_root.display()));
    // Run like a check: in its own process group, killed at once if the grade is cancelled.
    let finished = execute::run_all(vec![command], Limits::compiler(), 1, cancel)?.remove(0);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for line in finished.stderr.text.lines() {
        let Ok(diagnostic) = serde_json::from_str::<RustcDiagnostic>(line) else {
            continue;
        };
        match diagnostic.level {
            DiagnosticLevel::Error | DiagnosticLevel::Ice => errors.push(convert(diagnostic)),
            DiagnosticLevel::Warning => warnings.push(convert(diagnostic)),
            _ => {}
        }
    }
    // Summary lines ("aborting due to 2 previous errors") carry no span and no news.
    errors.retain(|e| e.file.is_some() || !e.message.starts_with("aborting due to"));
    warnings.retain(|w| w.file.is_some());
    Ok(Compiled {
        success: finished.ending == Ending::Exited(0),
        errors,
        warnings,
    })
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

fn convert(diagnostic: RustcDiagnostic) -> Diagnostic {
    let primary = diagnostic.spans.iter().find(|s| s.is_primary);
    Diagnostic {
        level: level_name(&diagnostic.level).to_owned(),
        message: diagnostic.message,
        code: diagnostic.code.map(|c| c.code),
        file: primary.map(|s| s.file_name.clone()),
        line: primary.map(|s| s.line_start),
        column: primary.map(|s| s.column_start),
        rendered: diagnostic.rendered.unwrap_or_default(),
    }
}

/// Where a grade's generated files go, per subject (so grades of different files never share
/// a binary or an incremental cache).
pub struct WorkFiles {
    pub root: PathBuf,
    pub binary: PathBuf,
    pub incremental: PathBuf,
    pub scratch: PathBuf,
    pub lock: PathBuf,
}

impl WorkFiles {
    pub fn new(work_dir: &Path, key: &str) -> Self {
        Self {
            root: work_dir.join("roots").join(format!("{key}.rs")),
            binary: work_dir.join("bin").join(key),
            incremental: work_dir.join("incremental").join(key),
            scratch: work_dir.join("scratch").join(key),
            lock: work_dir.join("locks").join(format!("{key}.lock")),
        }
    }
}
