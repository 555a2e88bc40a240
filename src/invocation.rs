//! How the user started asynclings, so that a message suggesting a command (to a learner:
//! `hint NAME`, `reset NAME`, `watch`; to an author: `dev seal`) suggests one they can paste
//! into the same shell: `asynclings hint NAME` when `asynclings` is on their PATH (or typed by a
//! name PATH found), `cargo run -q -- hint NAME` in a checkout of asynclings' own repository
//! where it was never installed (`--manifest-path` added when run from another folder), the
//! path they typed otherwise, with `--course DIR` when they named the course that way.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How this process was started, as far as messages care.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Started {
    /// What to type to run asynclings again, say `asynclings` or `cargo run -q --`.
    program: String,
    /// `--course DIR` as typed, when the course was named on the command line.
    course_arg: Option<String>,
    cwd: Option<PathBuf>,
}

/// What `cargo run` tells the program it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CargoRun {
    package: String,
    manifest_path: PathBuf,
}

fn started() -> &'static Started {
    static STARTED: OnceLock<Started> = OnceLock::new();
    STARTED.get_or_init(|| {
        let args: Vec<String> = std::env::args().collect();
        let argv0 = args.first().cloned().unwrap_or_else(|| "asynclings".into());
        let cwd = std::env::current_dir()
            .ok()
            .map(|d| d.canonicalize().unwrap_or(d));
        let cargo = match (
            std::env::var("CARGO_PKG_NAME"),
            std::env::var_os("CARGO_MANIFEST_PATH"),
            std::env::var_os("CARGO"),
        ) {
            (Ok(package), Some(manifest), Some(_)) => Some(CargoRun {
                package,
                manifest_path: manifest.into(),
            }),
            _ => None,
        };
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.canonicalize().ok());
        let on_path = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("asynclings"))
                .find(|candidate| candidate.is_file())
                .and_then(|p| p.canonicalize().ok())
        });
        Started {
            program: program(
                &argv0,
                exe.as_deref(),
                on_path.as_deref(),
                cargo.as_ref(),
                cwd.as_deref(),
            ),
            course_arg: course_arg(&args[1.min(args.len())..]),
            cwd,
        }
    })
}

/// `asynclings ARGS` as the user can run it, say `command("hint intro1_await")` is
/// `asynclings hint intro1_await`, or `cargo run -q -- --course ../my-course hint intro1_await`.
pub fn command(args: &str) -> String {
    let started = started();
    let mut command = started.program.clone();
    if let Some(course) = &started.course_arg {
        command.push_str(" --course ");
        command.push_str(&quote(course));
    }
    if !args.is_empty() {
        command.push(' ');
        command.push_str(args);
    }
    command
}

/// `git ARGS` run in `folder`, as the user can type it from where they are: plain inside that
/// folder, with `-C` (a relative path when shorter) from anywhere else.
pub fn git_in(folder: &Path, args: &str) -> String {
    let folder = folder.canonicalize().unwrap_or_else(|_| folder.to_owned());
    let folder = folder.as_path();
    match started().cwd.as_deref() {
        Some(cwd) if cwd == folder => format!("git {args}"),
        cwd => format!("git -C {} {args}", quote(&shown_path(folder, cwd))),
    }
}

/// `folder` as the user would type it from `cwd`.
fn shown_path(folder: &Path, cwd: Option<&Path>) -> String {
    if let Some(inside) = cwd.and_then(|cwd| folder.strip_prefix(cwd).ok()) {
        return inside.display().to_string();
    }
    folder.display().to_string()
}

/// What the user typed to start this process, reduced to something they can type again.
fn program(
    argv0: &str,
    exe: Option<&Path>,
    on_path: Option<&Path>,
    cargo: Option<&CargoRun>,
    cwd: Option<&Path>,
) -> String {
    // Found on PATH under the name typed (argv[0] has no slash).
    if !argv0.contains('/') {
        return quote(argv0).into_owned();
    }
    // Typed as a path, but PATH would find the same binary (an installed binary started by a
    // cargo alias or a script, even with cargo's variables set).
    if exe.is_some() && exe == on_path {
        return "asynclings".into();
    }
    // `cargo run` in asynclings' repository: cargo starts the binary by a path inside target/
    // and says which package it ran (`CARGO` alone is set by any cargo alias or build script).
    if let Some(cargo) = cargo.filter(|c| c.package == "asynclings") {
        let repo = cargo.manifest_path.parent().unwrap_or(Path::new("/"));
        return match cwd {
            Some(cwd) if cwd.starts_with(repo) => "cargo run -q --".into(),
            _ => format!(
                "cargo run -q --manifest-path {} --",
                quote(&cargo.manifest_path.display().to_string())
            ),
        };
    }
    quote(argv0).into_owned()
}

/// The value of `--course` on the command line (not from ASYNCLINGS_COURSE, which the user's
/// next command inherits anyway).
fn course_arg(args: &[String]) -> Option<String> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            return None;
        }
        if arg == "--course" {
            return args.next().cloned();
        }
        if let Some(value) = arg.strip_prefix("--course=") {
            return Some(value.to_owned());
        }
    }
    None
}

/// `word` quoted for a POSIX shell when it needs to be.
pub fn quote(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,~".contains(c));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// Quoted file names, space-separated.
pub fn quote_all<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    words
        .into_iter()
        .map(|w| quote(&w.as_ref().to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cargo_in(repo: &str) -> CargoRun {
        CargoRun {
            package: "asynclings".into(),
            manifest_path: Path::new(repo).join("Cargo.toml"),
        }
    }

    #[test]
    fn on_the_path_it_is_just_asynclings() {
        assert_eq!(program("asynclings", None, None, None, None), "asynclings");
        assert_eq!(program("al", None, None, None, None), "al");
        let exe = Path::new("/home/me/.cargo/bin/asynclings");
        assert_eq!(
            program(
                "/home/me/.cargo/bin/asynclings",
                Some(exe),
                Some(exe),
                None,
                None
            ),
            "asynclings"
        );
    }

    #[test]
    fn under_cargo_run_it_is_cargo_run() {
        let exe = Path::new("/src/asynclings/target/debug/asynclings");
        let cargo = cargo_in("/src/asynclings");
        assert_eq!(
            program(
                "target/debug/asynclings",
                Some(exe),
                None,
                Some(&cargo),
                Some(Path::new("/src/asynclings"))
            ),
            "cargo run -q --"
        );
        assert_eq!(
            program(
                "/src/asynclings/target/debug/asynclings",
                Some(exe),
                None,
                Some(&cargo),
                Some(Path::new("/home/me/my course"))
            ),
            "cargo run -q --manifest-path /src/asynclings/Cargo.toml --"
        );
        // Another package's `cargo run` (a course's own tooling) says nothing about asynclings.
        let other = CargoRun {
            package: "my-course".into(),
            ..cargo
        };
        assert_eq!(
            program("./bin/asynclings", None, None, Some(&other), None),
            "./bin/asynclings"
        );
    }

    #[test]
    fn an_installed_binary_under_cargos_environment_is_still_asynclings() {
        // A cargo alias or build script in asynclings' repository starts the installed binary.
        let installed = Path::new("/home/me/.cargo/bin/asynclings");
        let cargo = cargo_in("/src/asynclings");
        assert_eq!(
            program(
                "/home/me/.cargo/bin/asynclings",
                Some(installed),
                Some(installed),
                Some(&cargo),
                Some(Path::new("/src/asynclings"))
            ),
            "asynclings"
        );
        // Nothing found on PATH and no cargo: the path as typed, never a guessed `asynclings`.
        assert_eq!(
            program("target/debug/asynclings", None, None, None, None),
            "target/debug/asynclings"
        );
    }

    #[test]
    fn otherwise_the_path_as_typed() {
        assert_eq!(
            program("./target/release/asynclings", None, None, None, None),
            "./target/release/asynclings"
        );
        assert_eq!(
            program("/opt/my tools/asynclings", None, None, None, None),
            "'/opt/my tools/asynclings'"
        );
    }

    #[test]
    fn the_course_flag_is_kept_as_typed() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            course_arg(&args(&["--course", "../c", "run"])),
            Some("../c".into())
        );
        assert_eq!(
            course_arg(&args(&["dev", "--course=x y", "seal"])),
            Some("x y".into())
        );
        assert_eq!(course_arg(&args(&["run", "--", "--course"])), None);
        assert_eq!(course_arg(&args(&["run"])), None);
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(
            quote("tests/graders/01_demo/x.rs"),
            "tests/graders/01_demo/x.rs"
        );
        assert_eq!(quote("it's here"), r"'it'\''s here'");
        assert_eq!(quote(""), "''");
        assert_eq!(
            shown_path(Path::new("/a/b/course"), Some(Path::new("/a/b"))),
            "course"
        );
        assert_eq!(
            shown_path(Path::new("/x/course"), Some(Path::new("/a"))),
            "/x/course"
        );
    }
}
