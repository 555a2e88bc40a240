//! Driving `asynclings watch` on a real pseudo-terminal (portable-pty) and reading the screen as
//! a terminal shows it (vt100): what the learner sees, at the size the test chooses.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long a test waits for the screen to show something; generous, for loaded CI machines.
const PATIENCE: Duration = Duration::from_secs(90);

pub struct Tty {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

/// Environment variables that would make the result depend on the terminal the tests run in.
const HOST_TERMINAL: &[&str] = &[
    "ASYNCLINGS_COURSE",
    "ASYNCLINGS_TERMINAL",
    "CARGO_TARGET_DIR",
    "CARGO",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_HYPERLINK",
    "TERM_PROGRAM",
    "VTE_VERSION",
    "KONSOLE_VERSION",
    "WT_SESSION",
    "DOMTERM",
    "TMUX",
    "COLUMNS",
    "LINES",
];

impl Tty {
    /// Starts `asynclings ARGS` in `dir` on a terminal of `columns`×`rows` with `TERM=term`
    /// and the extra environment `env`.
    pub fn start(
        dir: &Path,
        args: &[&str],
        (columns, rows): (u16, u16),
        term: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols: columns,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_asynclings"));
        command.args(args);
        command.cwd(dir);
        for name in HOST_TERMINAL {
            command.env_remove(name);
        }
        command.env("TERM", term);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pair
            .slave
            .spawn_command(command)
            .expect("asynclings starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            nonzero(rows),
            nonzero(columns),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (screen, bytes) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                screen.lock().unwrap().process(&buffer[..read]);
                bytes.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        });
        Self {
            child,
            master: pair.master,
            writer,
            parser,
            raw,
        }
    }

    /// The screen as text, one line per row (trailing blanks trimmed).
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// One row of the screen.
    pub fn row(&self, row: u16) -> String {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let (_, columns) = screen.size();
        screen.contents_between(row, 0, row, columns.get())
    }

    /// Everything the program wrote to the terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Waits until the screen contains `text`; fails showing the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("the screen to show {text:?}"), |screen| {
            screen.contains(text)
        })
    }

    /// Waits until `done(screen)`; fails showing the screen.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the raw output contains `bytes`.
    pub fn wait_for_output(&self, bytes: &[u8]) {
        let deadline = Instant::now() + PATIENCE;
        while !self.raw().windows(bytes.len()).any(|w| w == bytes) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {:?} in the output:\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&self.raw())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `bytes` (a key: `"h"`, Ctrl-Z is `"\x1a"`).
    pub fn press(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Changes the terminal's size (the program gets SIGWINCH).
    pub fn resize(&mut self, (columns, rows): (u16, u16)) {
        self.parser
            .lock()
            .unwrap()
            .set_size(nonzero(rows), nonzero(columns));
        self.master
            .resize(PtySize {
                rows,
                cols: columns,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("a process id") as i32
    }

    /// Whether the terminal is in canonical (cooked) mode with echo, as a shell expects it.
    pub fn is_cooked(&self) -> bool {
        let termios = self.master.get_termios().expect("termios of the terminal");
        let flags = format!("{:?}", termios.local_flags);
        flags.contains("ICANON") && flags.contains("ECHO")
    }

    /// Waits for the program to exit and returns its status.
    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(Instant::now() < deadline, "asynclings did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::SIGCONT,
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The state of process `pid` as /proc shows it (`R`, `S`, `T` stopped…).
pub fn process_state(pid: i32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .and_then(|rest| rest.trim_start().chars().next())
        .unwrap_or('?')
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}
