//! Keys and signals. On a terminal, keys come raw (one press, no Enter); without one, each
//! line of stdin is a key, so watch can be scripted and tested.

use std::io::BufRead;
use std::sync::mpsc::Sender;
use std::thread;

use anyhow::{Context, Result};
use crossterm::event::{self as terminal, KeyCode, KeyEventKind, KeyModifiers};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::event::{Event, Key};

pub fn read_keys(interactive: bool, events: Sender<Event>) {
    thread::spawn(move || {
        if interactive {
            terminal_keys(&events);
        } else {
            line_keys(&events);
        }
    });
}

fn terminal_keys(events: &Sender<Event>) {
    while let Ok(event) = terminal::read() {
        let event = match event {
            terminal::Event::Key(key) if key.kind == KeyEventKind::Press => {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                match key.code {
                    KeyCode::Char('c' | 'd') if ctrl => Event::Quit,
                    KeyCode::Char(c) => Event::Key(Key::Char(c.to_ascii_lowercase())),
                    KeyCode::Up => Event::Key(Key::Up),
                    KeyCode::Down => Event::Key(Key::Down),
                    KeyCode::Enter => Event::Key(Key::Enter),
                    KeyCode::Esc => Event::Key(Key::Escape),
                    _ => continue,
                }
            }
            terminal::Event::Resize(..) => Event::Resized,
            _ => continue,
        };
        if events.send(event).is_err() {
            break;
        }
    }
}

fn line_keys(events: &Sender<Event>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let key = match line.trim() {
            "" => continue,
            "enter" => Key::Enter,
            "up" => Key::Up,
            "down" => Key::Down,
            "esc" => Key::Escape,
            other => Key::Char(other.chars().next().unwrap_or(' ')),
        };
        if events.send(Event::Key(key)).is_err() {
            break;
        }
    }
}

/// Ctrl-C (outside raw mode), SIGTERM and SIGHUP end watch cleanly: the grade in flight is
/// killed with its process group and the terminal restored.
pub fn forward_signals(events: Sender<Event>) -> Result<()> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot install signal handlers")?;
    thread::spawn(move || {
        for _ in signals.forever() {
            if events.send(Event::Quit).is_err() {
                break;
            }
        }
    });
    Ok(())
}
