//! Where watch's output goes. On a terminal that can draw: rows laid out by
//! [`super::layout`], drawn in place at absolute positions (raw mode, restored on exit, on
//! panic and while suspended). Otherwise: one plain line per event, for scripts, tests and
//! dumb terminals.

use std::io::{Write, stdout};

use anyhow::{Context, Result};
use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::terminal::{self, BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate};
use crossterm::{execute, queue};

use super::layout::Size;
use super::terminal::Kind;

pub struct Screen {
    kind: Kind,
    /// Between Ctrl-Z and the resume: the terminal belongs to the shell.
    suspended: bool,
}

impl Screen {
    pub fn new(kind: Kind) -> Result<Self> {
        if let Kind::Screen { .. } = kind {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
            take_terminal()?;
        }
        Ok(Self {
            kind,
            suspended: false,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.kind, Kind::Screen { .. })
    }

    /// One line in the plain log (a terminal shows state, not a log).
    pub fn log(&self, line: &str) {
        if let Kind::Lines { .. } = self.kind {
            outln!("{line}");
        }
    }

    /// Text for a person reading the plain log on a terminal (a verdict in full).
    pub fn log_for_people(&self, text: &str) {
        if let Kind::Lines { human: true } = self.kind {
            out!("{text}");
        }
    }

    /// The terminal's size now (80×24 when it cannot be read).
    pub fn size(&self) -> Size {
        let (columns, rows) = terminal::size().unwrap_or((80, 24));
        Size {
            columns: usize::from(columns),
            rows: usize::from(rows),
        }
    }

    /// Draws `rows` from the top (nothing in plain mode, or while suspended). `clear` wipes the
    /// whole screen first (after a resume, or on Ctrl-L).
    pub fn draw(&self, rows: &[String], clear: bool) {
        if self.is_terminal() && !self.suspended {
            // A failed draw is not worth stopping the learner's loop for; the next one retries.
            let _ = draw(rows, clear, self.size().rows);
        }
    }

    /// Gives the terminal back as it was (cooked mode, cursor shown, below the view).
    pub fn suspend(&mut self) {
        if self.is_terminal() && !self.suspended {
            self.suspended = true;
            let rows = self.size().rows;
            let _ = execute!(stdout(), MoveTo(0, rows.saturating_sub(1) as u16));
            restore_terminal();
            let _ = execute!(stdout(), crossterm::style::Print("\r\n"));
        }
    }

    /// Takes the terminal again after [`Screen::suspend`].
    pub fn resume(&mut self) {
        if self.is_terminal() && self.suspended {
            self.suspended = false;
            let _ = take_terminal();
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if self.is_terminal() && !self.suspended {
            restore_terminal();
        }
    }
}

fn take_terminal() -> Result<()> {
    terminal::enable_raw_mode().context("cannot switch the terminal to raw mode")?;
    execute!(stdout(), Hide, Clear(ClearType::All)).context("cannot draw on the terminal")
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(stdout(), crossterm::style::ResetColor, Show);
}

fn draw(rows: &[String], clear: bool, height: usize) -> std::io::Result<()> {
    let mut out = stdout().lock();
    queue!(out, BeginSynchronizedUpdate)?;
    if clear {
        queue!(out, Clear(ClearType::All))?;
    }
    for (y, row) in rows.iter().enumerate() {
        let y = u16::try_from(y).unwrap_or(u16::MAX);
        queue!(out, MoveTo(0, y))?;
        write!(out, "{row}\u{1b}[0m")?;
        queue!(out, Clear(ClearType::UntilNewLine))?;
    }
    // Rows below a short frame are cleared; moving past the last row would land on it.
    if rows.len() < height {
        let below = u16::try_from(rows.len()).unwrap_or(u16::MAX);
        queue!(out, MoveTo(0, below), Clear(ClearType::FromCursorDown))?;
    }
    queue!(out, EndSynchronizedUpdate)?;
    out.flush()
}
