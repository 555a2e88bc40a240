//! Driving `asynclings watch` without a terminal: keys on stdin, one line per event on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};

use crate::support::asynclings_command;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// How long a test waits for an expected line; generous, for loaded CI machines.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Watch {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    pub fn start(dir: &Path) -> Self {
        let mut child = asynclings_command()
            .arg("watch")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("asynclings watch starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `text` and returns it; fails with everything seen so far.
    pub fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {text:?}; watch printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line printed so far (after an `expect`), for counting.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    pub fn key(&mut self, key: &str) {
        writeln!(self.stdin, "{key}").unwrap();
    }

    /// Quits with `q` and returns the exit status.
    pub fn quit(mut self) -> Option<i32> {
        self.key("q");
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("watch did not quit");
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
