//! The watch loop's state and policy: which exercise is shown, which grade is in flight, what
//! each key and save means. Sources only send events; everything is decided here.

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::Scope;
use std::time::{Duration, Instant};

use anyhow::Result;
use console::style;

use super::event::{Event, Key};
use super::screen::{Frame, Screen};
use crate::course::{Course, Exercise};
use crate::grade::batch::{Job, grade_all};
use crate::grade::{Cancel, Cancelled, Control, Grade, GradeStatus, Grader, Phase, Subject};
use crate::progress::Progress;
use crate::render;
use crate::seal::Seal;

const KEYS: &str = "n next · h hint · l list · r regrade · x reset · s solution · q quit";

/// The last verdict, kept on screen until the next one for the same exercise is ready.
struct Verdict {
    exercise: usize,
    status: GradeStatus,
    text: String,
    took: Duration,
}

enum Activity {
    Idle,
    Compiling,
    Running(usize),
    Verifying(usize, usize),
}

enum Mode {
    Normal,
    ConfirmReset,
    List { selected: usize },
}

/// What is shown under the verdict on request.
enum Extra {
    None,
    Hint(usize),
    Solution,
}

struct InFlight {
    cancel: Cancel,
    requested: Instant,
}

pub struct App<'scope, 'env: 'scope> {
    pub course: &'env Course,
    pub progress: &'env mut Progress,
    pub grader: &'env Grader<'env>,
    pub scope: &'scope Scope<'scope, 'env>,
    pub events: Sender<Event>,
    pub screen: Screen,
    pub shown: usize,
    verdict: Option<Verdict>,
    activity: Activity,
    notice: Option<String>,
    extra: Extra,
    mode: Mode,
    in_flight: Option<InFlight>,
    generation: u64,
    verified: bool,
}

impl<'scope, 'env: 'scope> App<'scope, 'env> {
    pub fn new(
        course: &'env Course,
        progress: &'env mut Progress,
        grader: &'env Grader<'env>,
        scope: &'scope Scope<'scope, 'env>,
        events: Sender<Event>,
        screen: Screen,
        shown: usize,
    ) -> Self {
        Self {
            course,
            progress,
            grader,
            scope,
            events,
            screen,
            shown,
            verdict: None,
            activity: Activity::Idle,
            notice: None,
            extra: Extra::None,
            mode: Mode::Normal,
            in_flight: None,
            generation: 0,
            verified: false,
        }
    }

    /// Runs until the learner quits. Events already queued (saves made while dependencies
    /// were building) fold into the first grade.
    pub fn run(mut self, inbox: &Receiver<Event>) -> Result<()> {
        while let Ok(Event::Saved(index)) = inbox.try_recv() {
            self.shown = index;
        }
        let exercise = self.exercise();
        self.screen.log(&format!(
            "watching {} ({}/{} done); current: {} ({})",
            self.course.root.join("exercises").display(),
            self.done(),
            self.course.exercises.len(),
            exercise.name(),
            exercise.file().display()
        ));
        self.grade(self.shown);
        self.redraw();
        while let Ok(event) = inbox.recv() {
            if !self.handle(event) {
                break;
            }
            self.redraw();
        }
        if let Some(in_flight) = self.in_flight.take() {
            in_flight.cancel.cancel();
        }
        Ok(())
    }

    fn exercise(&self) -> &'env Exercise {
        &self.course.exercises[self.shown]
    }

    fn done(&self) -> usize {
        self.course
            .exercises
            .iter()
            .filter(|e| self.progress.is_done(e.name()))
            .count()
    }

    /// Handles one event; false means quit.
    fn handle(&mut self, event: Event) -> bool {
        match event {
            Event::Quit => return false,
            Event::Saved(index) => self.saved(index),
            Event::Key(key) => return self.key(key),
            Event::Resized => {}
            Event::Phase { generation, phase } if generation == self.generation => {
                self.activity = match phase {
                    Phase::Compiling => Activity::Compiling,
                    Phase::Running { checks } => Activity::Running(checks),
                };
            }
            Event::Phase { .. } => {}
            Event::Graded { generation, result } if generation == self.generation => {
                self.graded(result)
            }
            Event::Graded { .. } => {}
            Event::Verifying { done, total } => self.activity = Activity::Verifying(done, total),
            Event::Verified(result) => self.verified(result),
            Event::WatchFailed(error) => {
                self.say(format!("the file watcher reported a problem: {error}"))
            }
        }
        true
    }

    fn saved(&mut self, index: usize) {
        let exercise = &self.course.exercises[index];
        let file = exercise.file();
        if !self.course.path(&file).is_file() {
            self.shown = index;
            self.say(format!(
                "{} was deleted: press x to restore the shipped version",
                file.display()
            ));
            return;
        }
        if index == self.shown {
            self.screen.log(&format!("saved {}", file.display()));
            self.notice = None;
        } else {
            let current = self.exercise().name();
            self.say(format!(
                "you saved {}, not the current exercise {current}: grading {} instead",
                file.display(),
                exercise.name()
            ));
            self.shown = index;
            self.extra = Extra::None;
        }
        self.grade(index);
    }

    /// Starts grading `index`, killing a grade still in flight (it is stale now).
    fn grade(&mut self, index: usize) {
        if let Some(stale) = self.in_flight.take() {
            stale.cancel.cancel();
            self.screen
                .log("cancelled the grade in flight: a newer one replaces it");
        }
        self.generation += 1;
        let generation = self.generation;
        let phases = self.events.clone();
        let control = Control {
            cancel: Cancel::default(),
            on_phase: Some(Box::new(move |phase| {
                let _ = phases.send(Event::Phase { generation, phase });
            })),
        };
        self.in_flight = Some(InFlight {
            cancel: control.cancel.clone(),
            requested: Instant::now(),
        });
        self.activity = Activity::Compiling;
        let exercise = &self.course.exercises[index];
        self.screen.log(&format!("grading {}", exercise.name()));
        let (grader, events) = (self.grader, self.events.clone());
        self.scope.spawn(move || {
            let result = grader.grade(exercise, &Subject::Exercise, false, &control);
            let _ = events.send(Event::Graded { generation, result });
        });
    }

    fn graded(&mut self, result: Result<Grade>) {
        let took = self
            .in_flight
            .take()
            .map_or(Duration::ZERO, |f| f.requested.elapsed());
        self.activity = Activity::Idle;
        let grade = match result {
            Ok(grade) => grade,
            Err(error) if error.downcast_ref::<Cancelled>().is_some() => return,
            Err(error) => {
                self.say(format!(
                    "could not grade {}: {error:#}",
                    self.exercise().name()
                ));
                return;
            }
        };
        let exercise = self.exercise();
        let reason = render::first_reason(&grade)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        self.screen.log(&format!(
            "verdict {} {} in {:.2} s{reason}",
            exercise.name(),
            grade.status.as_str(),
            took.as_secs_f64()
        ));
        self.verdict = Some(Verdict {
            exercise: self.shown,
            status: grade.status,
            text: render::verdict(&grade, exercise),
            took,
        });
        if !grade.passed() {
            return;
        }
        self.progress.mark_done(exercise.name());
        if let Err(error) = self.progress.save() {
            self.say(format!("could not save your progress: {error:#}"));
            return;
        }
        if self.done() == self.course.exercises.len() {
            self.say(format!(
                "{} done, and that was the last one! Checking all exercises once more…",
                exercise.name()
            ));
            self.verify_all();
        } else {
            self.say(format!(
                "Well done! Compare with {}, then press n for the next exercise.",
                exercise.solution().display()
            ));
        }
    }

    /// The closing verify, once every exercise is done.
    fn verify_all(&mut self) {
        if self.verified {
            return;
        }
        self.verified = true;
        let total = self.course.exercises.len();
        self.activity = Activity::Verifying(0, total);
        let (grader, course, events) = (self.grader, self.course, self.events.clone());
        self.scope.spawn(move || {
            let jobs: Vec<Job<'_>> = course
                .exercises
                .iter()
                .map(|exercise| Job {
                    exercise,
                    subject: Subject::Exercise,
                    clippy: false,
                })
                .collect();
            let progress = events.clone();
            let result = grade_all(grader, &jobs, &move |done| {
                let _ = progress.send(Event::Verifying { done, total });
            });
            let _ = events.send(Event::Verified(result));
        });
    }

    fn verified(&mut self, result: Result<Vec<Grade>>) {
        self.activity = Activity::Idle;
        match result {
            Ok(grades) => {
                let failing: Vec<&str> = grades
                    .iter()
                    .filter(|g| !g.passed())
                    .map(|g| g.exercise.as_str())
                    .collect();
                if failing.is_empty() {
                    self.say(format!(
                        "All {} exercises pass. You have finished asynclings: futures, wakers and the rest are yours now. Press q to leave.",
                        grades.len()
                    ));
                } else {
                    self.say(format!(
                        "Almost: these no longer pass: {}",
                        failing.join(", ")
                    ));
                }
            }
            Err(error) => self.say(format!("could not verify every exercise: {error:#}")),
        }
    }

    /// Handles a key; false means quit.
    fn key(&mut self, key: Key) -> bool {
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::ConfirmReset => self.confirm_reset(key == Key::Char('y')),
            Mode::List { selected } => self.list_key(selected, key),
            Mode::Normal => match key {
                Key::Char('q') => return false,
                Key::Char('n') => self.next(),
                Key::Char('h') => self.hint(),
                Key::Char('l') => self.open_list(),
                Key::Char('r') => {
                    self.notice = None;
                    self.grade(self.shown);
                }
                Key::Char('x') => {
                    self.mode = Mode::ConfirmReset;
                    self.say(format!(
                        "Reset {} to its shipped version? Your changes to it are lost. y / n",
                        self.exercise().file().display()
                    ));
                }
                Key::Char('s') => self.solution(),
                _ => {}
            },
        }
        true
    }

    fn next(&mut self) {
        let exercise = self.exercise();
        if !self.progress.is_done(exercise.name()) {
            self.say(format!(
                "{} is not done yet: n moves on once it passes",
                exercise.name()
            ));
            return;
        }
        let count = self.course.exercises.len();
        let next = (1..count)
            .map(|step| (self.shown + step) % count)
            .find(|&index| !self.progress.is_done(self.course.exercises[index].name()));
        match next {
            Some(index) => self.open(index),
            None => self.say("every exercise is done: l lists them, q quits".into()),
        }
    }

    /// Makes `index` the current exercise and grades it.
    fn open(&mut self, index: usize) {
        self.shown = index;
        self.extra = Extra::None;
        self.notice = None;
        let exercise = self.exercise();
        self.progress.choose(exercise.name());
        if let Err(error) = self.progress.save() {
            self.say(format!("could not save your progress: {error:#}"));
        }
        self.screen.log(&format!(
            "current: {} ({})",
            exercise.name(),
            exercise.file().display()
        ));
        self.grade(index);
    }

    /// The next hint level (the same one as `asynclings hint`, which shares the count).
    fn hint(&mut self) {
        let exercise = self.exercise();
        let total = exercise.info.hints.len();
        let shown = self.progress.hints_shown(exercise.name());
        let level = (shown + 1).min(total);
        if level > shown {
            self.progress.set_hints_shown(exercise.name(), level);
            if let Err(error) = self.progress.save() {
                self.say(format!("could not save your progress: {error:#}"));
            }
        }
        self.extra = Extra::Hint(level);
        let text = exercise.info.hints[level - 1].trim().replace('\n', " ");
        self.screen
            .log(&format!("hint {} {level}/{total}: {text}", exercise.name()));
    }

    fn solution(&mut self) {
        let exercise = self.exercise();
        if self.progress.is_done(exercise.name()) {
            self.extra = Extra::Solution;
            self.screen.log(&format!(
                "solution {}: {}",
                exercise.name(),
                exercise.solution().display()
            ));
        } else {
            self.say(
                "the solution opens once this exercise passes: keep going, or press h for a hint"
                    .into(),
            );
        }
    }

    fn confirm_reset(&mut self, confirmed: bool) {
        let file = self.exercise().file();
        if !confirmed {
            self.say(format!("kept {}", file.display()));
            return;
        }
        let restored = Seal::load(self.course).and_then(|seal| match seal {
            Some(seal) => seal.restore(self.course, &file),
            None => anyhow::bail!("this course has no seal, so the shipped version is unknown"),
        });
        match restored {
            // The watcher sees the new file and grades it.
            Ok(_) => self.say(format!(
                "restored {} to its shipped version",
                file.display()
            )),
            Err(error) => self.say(format!("could not reset {}: {error:#}", file.display())),
        }
    }

    fn open_list(&mut self) {
        self.mode = Mode::List {
            selected: self.shown,
        };
        for (index, exercise) in self.course.exercises.iter().enumerate() {
            self.screen.log(&format!(
                "list {} {} {}",
                index + 1,
                self.status_of(index),
                exercise.name()
            ));
        }
    }

    fn list_key(&mut self, selected: usize, key: Key) {
        let last = self.course.exercises.len() - 1;
        match key {
            Key::Up | Key::Char('k') => {
                self.mode = Mode::List {
                    selected: selected.saturating_sub(1),
                }
            }
            Key::Down | Key::Char('j') => {
                self.mode = Mode::List {
                    selected: (selected + 1).min(last),
                }
            }
            Key::Enter => self.open(selected),
            _ => {}
        }
    }

    fn status_of(&self, index: usize) -> &'static str {
        if index == self.shown {
            "current"
        } else if self.progress.is_done(self.course.exercises[index].name()) {
            "done"
        } else {
            "pending"
        }
    }

    /// A one-line notice: on the terminal under the verdict, in the plain log as a line.
    fn say(&mut self, notice: String) {
        self.screen.log(&notice);
        self.notice = Some(notice);
    }

    fn redraw(&self) {
        if self.screen.is_terminal() {
            self.screen.draw(&self.frame());
        }
    }

    fn frame(&self) -> Frame {
        let exercise = self.exercise();
        let total = self.course.exercises.len();
        let done = self.done();
        let width = 24;
        let filled = (done * width).checked_div(total).unwrap_or(0);
        let bar = format!("{}{}", "█".repeat(filled), "░".repeat(width - filled));
        let path = exercise.file();
        let mut frame = Frame {
            header: vec![
                format!(
                    "{}  {}  {done}/{total} done",
                    style("asynclings watch").bold(),
                    style(bar).cyan()
                ),
                format!(
                    "{} › {}  {}",
                    exercise.chapter(),
                    style(exercise.name()).bold(),
                    hyperlink(&self.course.path(&path), &path)
                ),
                String::new(),
            ],
            ..Frame::default()
        };
        match &self.mode {
            Mode::List { selected } => self.list_body(*selected, &mut frame.body),
            _ => self.verdict_body(&mut frame.body),
        }
        frame.footer.push(String::new());
        if let Some(notice) = &self.notice {
            frame.footer.push(style(notice).yellow().to_string());
        }
        frame.footer.push(self.status_line());
        frame.footer.push(
            style(match self.mode {
                Mode::Normal => KEYS,
                Mode::ConfirmReset => "y reset · any other key keeps your file",
                Mode::List { .. } => "↑/↓ or j/k choose · enter open · any other key back",
            })
            .dim()
            .to_string(),
        );
        frame
    }

    fn verdict_body(&self, body: &mut Vec<String>) {
        match &self.verdict {
            Some(verdict) if verdict.exercise == self.shown => {
                body.extend(verdict.text.lines().map(str::to_owned));
            }
            _ => body.push(style("(grading…)").dim().to_string()),
        }
        let exercise = self.exercise();
        match self.extra {
            Extra::None => {}
            Extra::Hint(level) => {
                body.push(String::new());
                body.push(
                    style(format!("Hint {level} of {}:", exercise.info.hints.len()))
                        .bold()
                        .to_string(),
                );
                body.extend(
                    exercise.info.hints[level - 1]
                        .trim()
                        .lines()
                        .map(str::to_owned),
                );
            }
            Extra::Solution => {
                body.push(String::new());
                body.push(
                    style(format!("Solution ({}):", exercise.solution().display()))
                        .bold()
                        .to_string(),
                );
                let text = std::fs::read_to_string(self.course.path(&exercise.solution()))
                    .unwrap_or_default();
                body.extend(text.lines().map(str::to_owned));
            }
        }
    }

    fn list_body(&self, selected: usize, body: &mut Vec<String>) {
        for (index, exercise) in self.course.exercises.iter().enumerate() {
            let line = format!(
                "{:>3}  {:<8} {:<14} {}",
                index + 1,
                self.status_of(index),
                exercise.chapter(),
                exercise.name()
            );
            body.push(if index == selected {
                style(format!("▶ {line}")).reverse().to_string()
            } else {
                format!("  {line}")
            });
        }
    }

    fn status_line(&self) -> String {
        match (&self.activity, &self.verdict) {
            (Activity::Compiling, _) => style("⟳ compiling…").cyan().to_string(),
            (Activity::Running(checks), _) => style(format!("⟳ running {checks} checks…"))
                .cyan()
                .to_string(),
            (Activity::Verifying(done, total), _) => {
                let width = 24;
                let filled = (done * width).checked_div(*total).unwrap_or(0);
                style(format!(
                    "⟳ verifying every exercise [{}{}] {done}/{total}",
                    "█".repeat(filled),
                    "░".repeat(width - filled)
                ))
                .cyan()
                .to_string()
            }
            (Activity::Idle, Some(verdict)) if verdict.exercise == self.shown => style(format!(
                "{} in {:.2} s · save the file to grade it again",
                verdict.status.as_str(),
                verdict.took.as_secs_f64()
            ))
            .dim()
            .to_string(),
            (Activity::Idle, _) => style("save the file to grade it").dim().to_string(),
        }
    }
}

/// A terminal hyperlink (OSC 8) to `target`, shown as `text`; terminals without support show
/// the text alone.
fn hyperlink(target: &Path, text: &Path) -> String {
    format!(
        "\x1b]8;;file://{}\x1b\\{}\x1b]8;;\x1b\\",
        target.display(),
        style(text.display()).underlined()
    )
}
