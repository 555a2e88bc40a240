//! Keys and signals. On a terminal, keys come raw (one press, no Enter); without one, each
//! line of stdin is a key, so watch can be scripted and tested.

use std::io::BufRead;
use std::sync::mpsc::Sender;
use std::thread;

use anyhow::{Context, Result};
use crossterm::event::{self as terminal, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGTERM, SIGTSTP};
use signal_hook::iterator::Signals;

use super::event::{Event, Key, SuspendedBy};

pub fn read_keys(raw: bool, events: Sender<Event>) {
    thread::spawn(move || {
        if raw {
            terminal_keys(&events);
        } else {
            line_keys(&events);
        }
    });
}

fn terminal_keys(events: &Sender<Event>) {
    while let Ok(event) = terminal::read() {
        let event = match event {
            terminal::Event::Key(key) if key.kind == KeyEventKind::Press => match meaning(key) {
                Some(event) => event,
                None => continue,
            },
            terminal::Event::Resize(..) => Event::Resized,
            _ => continue,
        };
        if events.send(event).is_err() {
            break;
        }
    }
}

/// What a key press means. Ctrl and Alt combinations are not their bare letters: Ctrl-X must
/// not open the reset prompt.
fn meaning(key: KeyEvent) -> Option<Event> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    if ctrl {
        return match key.code {
            KeyCode::Char('c' | 'd') => Some(Event::Quit),
            KeyCode::Char('z') => Some(Event::Suspend(SuspendedBy::Key)),
            KeyCode::Char('l') => Some(Event::Redraw),
            _ => None,
        };
    }
    if alt
        || key
            .modifiers
            .intersects(KeyModifiers::SUPER | KeyModifiers::META)
    {
        return None;
    }
    let key = match key.code {
        KeyCode::Char(c) => Key::Char(c.to_ascii_lowercase()),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Escape,
        _ => return None,
    };
    Some(Event::Key(key))
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
/// killed with its process group and the terminal restored. With the full-screen view
/// (`job_control`), SIGTSTP suspends with the terminal restored and SIGCONT redraws.
pub fn forward_signals(events: Sender<Event>, job_control: bool) -> Result<()> {
    let mut wanted = vec![SIGINT, SIGTERM, SIGHUP];
    if job_control {
        wanted.extend([SIGTSTP, SIGCONT]);
    }
    let mut signals = Signals::new(wanted).context("cannot install signal handlers")?;
    thread::spawn(move || {
        for signal in signals.forever() {
            let event = match signal {
                SIGTSTP => Event::Suspend(SuspendedBy::Signal),
                SIGCONT => Event::Resumed,
                _ => Event::Quit,
            };
            if events.send(event).is_err() {
                break;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Option<Event> {
        meaning(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn ctrl_letters_are_not_bare_letters() {
        for c in ['x', 's', 'n', 'h', 'q', 'r'] {
            assert!(
                press(KeyCode::Char(c), KeyModifiers::CONTROL).is_none(),
                "{c}"
            );
            assert!(press(KeyCode::Char(c), KeyModifiers::ALT).is_none(), "{c}");
        }
        assert!(matches!(
            press(KeyCode::Char('x'), KeyModifiers::NONE),
            Some(Event::Key(Key::Char('x')))
        ));
        assert!(matches!(
            press(KeyCode::Char('X'), KeyModifiers::SHIFT),
            Some(Event::Key(Key::Char('x')))
        ));
    }

    #[test]
    fn ctrl_keys_with_a_meaning() {
        assert!(matches!(
            press(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Event::Quit)
        ));
        assert!(matches!(
            press(KeyCode::Char('z'), KeyModifiers::CONTROL),
            Some(Event::Suspend(SuspendedBy::Key))
        ));
        assert!(matches!(
            press(KeyCode::Char('l'), KeyModifiers::CONTROL),
            Some(Event::Redraw)
        ));
    }
}
