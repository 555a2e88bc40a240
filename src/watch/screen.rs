//! Where watch's output goes. On a terminal: a full-screen view redrawn in place on every
//! change (raw mode, restored on exit and on panic). Without one: one plain line per event,
//! for scripts and tests.

use std::io::{Write, stdout};

use anyhow::{Context, Result};
use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::terminal::{self, Clear, ClearType};
use crossterm::{execute, queue};

/// What the terminal shows: header and footer always, the body as far as it fits.
#[derive(Default)]
pub struct Frame {
    pub header: Vec<String>,
    pub body: Vec<String>,
    pub footer: Vec<String>,
}

pub enum Screen {
    Terminal,
    Plain,
}

impl Screen {
    /// A terminal screen when `interactive`, a plain log otherwise.
    pub fn new(interactive: bool) -> Result<Self> {
        if !interactive {
            return Ok(Self::Plain);
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        terminal::enable_raw_mode().context("cannot switch the terminal to raw mode")?;
        execute!(stdout(), Hide, Clear(ClearType::All)).context("cannot draw on the terminal")?;
        Ok(Self::Terminal)
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Terminal)
    }

    /// One line in the plain log (a terminal shows state, not a log).
    pub fn log(&self, line: &str) {
        if let Self::Plain = self {
            println!("{line}");
        }
    }

    /// Redraws the terminal view (nothing in plain mode).
    pub fn draw(&self, frame: &Frame) {
        if let Self::Terminal = self {
            // A failed draw is not worth stopping the learner's loop for; the next one retries.
            let _ = draw(frame);
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Self::Terminal = self {
            restore_terminal();
        }
    }
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(stdout(), Show);
}

fn draw(frame: &Frame) -> std::io::Result<()> {
    let (columns, rows) = terminal::size()?;
    let columns = usize::from(columns.max(20));
    let rows = usize::from(rows.max(8));
    let height = |line: &str| console::measure_text_width(line).div_ceil(columns).max(1);
    let fixed: usize = frame
        .header
        .iter()
        .chain(&frame.footer)
        .map(|l| height(l))
        .sum();
    // Keep the last row free: writing into it would scroll the header away.
    let budget = rows.saturating_sub(fixed + 1);
    let more = |rest: usize| {
        format!("… {rest} more lines: make the terminal taller, or use `asynclings run`")
    };
    let mut body = Vec::new();
    let mut used = 0;
    for (index, line) in frame.body.iter().enumerate() {
        let after = frame.body.len() - index - 1;
        let reserve = if after > 0 { height(&more(after)) } else { 0 };
        if used + height(line) + reserve > budget {
            body.push(more(frame.body.len() - index));
            break;
        }
        used += height(line);
        body.push(line.clone());
    }
    let mut out = stdout().lock();
    queue!(out, MoveTo(0, 0))?;
    for line in frame.header.iter().chain(&body).chain(&frame.footer) {
        write!(out, "{line}")?;
        queue!(out, Clear(ClearType::UntilNewLine))?;
        write!(out, "\r\n")?;
    }
    queue!(out, Clear(ClearType::FromCursorDown))?;
    out.flush()
}
