//! What the terminal can do: the full-screen view needs cursor movement, so a dumb terminal
//! (Emacs' `M-x shell`, many CI logs) or one the system has no terminfo entry for gets the plain
//! line mode; hyperlinks (OSC 8) only go to terminals known to support them.

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, percent_encode};

/// How watch talks to its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A full-screen view redrawn in place; keys come raw.
    Screen { hyperlinks: bool },
    /// One line per event; keys come as lines on stdin. `human`: a person reads it (stdout is a
    /// terminal), so verdicts are printed in full.
    Lines { human: bool },
}

/// `ASYNCLINGS_TERMINAL=lines` forces the line mode, `=screen` the full-screen view (for a
/// terminal this check gets wrong).
pub const OVERRIDE: &str = "ASYNCLINGS_TERMINAL";

/// The kind for this process's terminal.
pub fn detect() -> Kind {
    use std::io::IsTerminal;
    let stdout = std::io::stdout().is_terminal();
    let stdin = std::io::stdin().is_terminal();
    let term = std::env::var("TERM").ok();
    let choice = std::env::var(OVERRIDE).ok();
    let full = match choice.as_deref() {
        Some("lines") => false,
        Some("screen") => stdout && stdin,
        _ => stdout && stdin && can_draw(term.as_deref(), &terminfo_dirs()),
    };
    if full {
        Kind::Screen {
            hyperlinks: supports_hyperlinks::on(supports_hyperlinks::Stream::Stdout),
        }
    } else {
        Kind::Lines { human: stdout }
    }
}

/// Whether a terminal called `term` can take cursor movement: not dumb, and described by
/// terminfo in one of `dirs` (or, on a system without a terminfo database, a well-known name).
pub fn can_draw(term: Option<&str>, dirs: &[PathBuf]) -> bool {
    let Some(term) = term.filter(|t| !t.is_empty()) else {
        return false;
    };
    if term == "dumb" || term.starts_with("dumb-") {
        return false;
    }
    let existing: Vec<&PathBuf> = dirs.iter().filter(|d| d.is_dir()).collect();
    if existing.is_empty() {
        return WELL_KNOWN.iter().any(|prefix| term.starts_with(prefix));
    }
    let first = term.chars().next().unwrap_or('x');
    existing.iter().any(|dir| {
        [
            dir.join(first.to_string()).join(term),
            dir.join(format!("{:x}", u32::from(first))).join(term),
        ]
        .iter()
        .any(|entry| entry.is_file())
    })
}

/// Terminals whose names alone say they move the cursor (used without a terminfo database).
const WELL_KNOWN: &[&str] = &[
    "xterm",
    "screen",
    "tmux",
    "rxvt",
    "linux",
    "vt1",
    "vt2",
    "alacritty",
    "kitty",
    "foot",
    "wezterm",
    "konsole",
    "gnome",
    "st-",
    "putty",
    "iterm",
    "ghostty",
    "eterm-color",
];

/// Where ncurses looks for terminfo entries, in its order.
fn terminfo_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("TERMINFO") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".terminfo"));
    }
    let defaults = [
        "/etc/terminfo",
        "/lib/terminfo",
        "/usr/share/terminfo",
        "/usr/lib/terminfo",
        "/usr/local/share/terminfo",
        "/opt/homebrew/share/terminfo",
    ];
    if let Some(list) = std::env::var_os("TERMINFO_DIRS") {
        for dir in std::env::split_paths(&list) {
            if dir.as_os_str().is_empty() {
                dirs.extend(defaults.iter().map(PathBuf::from));
            } else {
                dirs.push(dir);
            }
        }
    }
    dirs.extend(defaults.iter().map(PathBuf::from));
    dirs
}

/// Characters a `file:` URL path cannot carry as they are (RFC 3986 and what terminals parse).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The `file://` URL of an absolute path: spaces, non-ASCII and reserved bytes percent-encoded.
pub fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    format!(
        "file://{}",
        percent_encode(path.as_os_str().as_bytes(), PATH)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumb_missing_and_unknown_terminals_get_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x/xterm-256color"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("65")).unwrap();
        std::fs::write(dir.path().join("65/eterm-color"), "").unwrap();
        let dirs = [dir.path().to_owned()];
        assert!(can_draw(Some("xterm-256color"), &dirs));
        assert!(can_draw(Some("eterm-color"), &dirs), "macOS' hex folders");
        assert!(!can_draw(Some("dumb"), &dirs));
        assert!(!can_draw(Some(""), &dirs));
        assert!(!can_draw(None, &dirs));
        assert!(!can_draw(Some("no-such-terminal"), &dirs));
    }

    #[test]
    fn without_a_terminfo_database_well_known_names_draw() {
        let dirs = [PathBuf::from("/nonexistent/terminfo")];
        assert!(can_draw(Some("xterm-256color"), &dirs));
        assert!(can_draw(Some("tmux-256color"), &dirs));
        assert!(!can_draw(Some("dumb"), &dirs));
        assert!(!can_draw(Some("emacs"), &dirs));
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/home/zoë/my course/ex#1.rs")),
            "file:///home/zo%C3%AB/my%20course/ex%231.rs"
        );
    }
}
