//! A fluent builder for driving the real `asynclings` binary against a fixture course.
//!
//! ```ignore
//! let pack = Pack::copy("basic");
//! pack.asynclings(&["run", "fails_check"]).status(1).stdout_has("off by one").run();
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A private copy of a fixture course from `tests/fixtures/packs/`.
pub struct Pack {
    dir: tempfile::TempDir,
    /// The course's folder inside `dir` (empty: `dir` itself).
    folder: String,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Pack {
    /// Copies `tests/fixtures/packs/<name>`; its `dependencies` point at this repository's
    /// course package, so every copy shares the compiled dependencies.
    pub fn copy(name: &str) -> Self {
        Self::copy_at(name, "")
    }

    /// [`Pack::copy`] into a folder called `folder` (say, with spaces and non-ASCII letters)
    /// inside the temp dir; [`Pack::path`] is relative to the course.
    pub fn copy_at(name: &str, folder: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let course = dir.path().join(folder);
        copy_tree(&repo().join("tests/fixtures/packs").join(name), &course);
        let info = course.join("info.toml");
        let text = std::fs::read_to_string(&info).expect("the pack has an info.toml");
        let manifest = repo().join("course/Cargo.toml");
        let text: Vec<String> = text
            .lines()
            .map(|line| {
                if line.starts_with("dependencies =") {
                    format!("dependencies = {:?}", manifest.display().to_string())
                } else {
                    line.to_owned()
                }
            })
            .collect();
        std::fs::write(&info, text.join("\n") + "\n").unwrap();
        Self {
            dir,
            folder: folder.to_owned(),
        }
    }

    /// This repository itself, as a course (read-only use: `dev check`, `verify --solutions`).
    pub fn root() -> PathBuf {
        repo().to_owned()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(&self.folder).join(relative)
    }

    pub fn write(&self, relative: &str, contents: &str) -> &Self {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_default()
    }

    /// Runs a shell command in the copy (say, `git init`), which must succeed.
    pub fn sh(&self, script: &str) -> &Self {
        let status = Command::new("sh")
            .args(["-c", script])
            .current_dir(self.path("."))
            .status()
            .unwrap();
        assert!(status.success(), "`{script}` failed");
        self
    }

    pub fn asynclings(&self, args: &[&str]) -> Invocation {
        Invocation::new(&self.path("."), args)
    }
}

/// One run of the binary and what it must show.
pub struct Invocation {
    command: Command,
    status: Option<i32>,
    stdout_has: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr_has: Vec<String>,
}

/// The binary under test, isolated from the caller's environment: no course chosen by
/// ASYNCLINGS_COURSE, no colours, and no shared CARGO_TARGET_DIR. Cargo names a workspace's path
/// packages by their path relative to the workspace, so with one target folder for all, the
/// copies of a course with its own helpers (tests/fixtures/packs/third_party) would overwrite
/// each other's helper library, edited ones included.
pub fn asynclings_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asynclings"));
    command
        .env_remove("ASYNCLINGS_COURSE")
        .env_remove("CARGO_TARGET_DIR")
        // Started by the test harness, not by `cargo run`: messages name the binary's path
        // (see [`command`]).
        .env_remove("CARGO")
        .env("NO_COLOR", "1");
    // What `cargo test` passes down would make the binary think `cargo run` started it.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARGO_PKG_") || key == "CARGO_MANIFEST_PATH" {
            command.env_remove(key);
        }
    }
    command
}

impl Invocation {
    pub fn new(dir: &Path, args: &[&str]) -> Self {
        let mut command = asynclings_command();
        command.args(args).current_dir(dir);
        Self {
            command,
            status: None,
            stdout_has: Vec::new(),
            stdout_lacks: Vec::new(),
            stderr_has: Vec::new(),
        }
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    pub fn stdout_has(mut self, text: &str) -> Self {
        self.stdout_has.push(text.to_owned());
        self
    }

    pub fn stdout_lacks(mut self, text: &str) -> Self {
        self.stdout_lacks.push(text.to_owned());
        self
    }

    pub fn stderr_has(mut self, text: &str) -> Self {
        self.stderr_has.push(text.to_owned());
        self
    }

    /// Runs and checks every expectation; returns the output for more specific checks.
    pub fn run(mut self) -> Output {
        let output = self.command.output().expect("the asynclings binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let context = format!("\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
        if let Some(code) = self.status {
            assert_eq!(output.status.code(), Some(code), "exit status{context}");
        }
        for text in &self.stdout_has {
            assert!(
                stdout.contains(text.as_str()),
                "stdout lacks {text:?}{context}"
            );
        }
        for text in &self.stdout_lacks {
            assert!(
                !stdout.contains(text.as_str()),
                "stdout has {text:?}{context}"
            );
        }
        for text in &self.stderr_has {
            assert!(
                stderr.contains(text.as_str()),
                "stderr lacks {text:?}{context}"
            );
        }
        output
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            // Build output and a developer's own progress are not part of a fixture.
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &target);
            }
        } else if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(".asynclings-state")
        {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `asynclings ARGS` as the binary under test words it in its messages: started by its path,
/// as these tests start it, it names that path.
pub fn command(args: &str) -> String {
    format!("{} {args}", env!("CARGO_BIN_EXE_asynclings"))
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
