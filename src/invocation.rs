//! How the learner runs asynclings, so that messages name a command that works for them:
//! `asynclings hint NAME` once installed, `cargo run -q -- hint NAME` in a checkout of the course
//! where it was never installed.

use std::path::Path;
use std::sync::OnceLock;

/// `asynclings ARGS` as the learner would type it, e.g. `command("hint intro1_await")`.
pub fn command(args: &str) -> String {
    format!("{} {args}", prefix())
}

/// `asynclings`, or `cargo run -q --` when this process was started by `cargo run`.
pub fn prefix() -> &'static str {
    static PREFIX: OnceLock<&'static str> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        if started_by_cargo(std::env::var_os("CARGO").is_some(), exe.as_deref()) {
            "cargo run -q --"
        } else {
            "asynclings"
        }
    })
}

/// `cargo run` sets `CARGO` in the environment of what it runs, and runs the binary from its
/// target folder (`target/debug/asynclings`, `target/release/asynclings`); an installed binary
/// started from a cargo alias or build script has `CARGO` set but lives elsewhere.
fn started_by_cargo(cargo_env: bool, exe: Option<&Path>) -> bool {
    cargo_env
        && exe.is_some_and(|exe| {
            exe.parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|name| name == "target")
                || exe.ancestors().any(|dir| dir.ends_with("target"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_run_is_told_apart_from_an_installed_binary() {
        let built = Path::new("/home/me/asynclings/target/debug/asynclings");
        let installed = Path::new("/home/me/.cargo/bin/asynclings");
        assert!(started_by_cargo(true, Some(built)));
        assert!(!started_by_cargo(false, Some(built)));
        assert!(!started_by_cargo(true, Some(installed)));
        assert!(!started_by_cargo(true, None));
    }
}
