//! The watch loop's state and policy: which exercise is shown, which grade is in flight, what
//! each key and save means. Sources only send events; everything is decided here. What fits on
//! the screen is decided by [`super::layout`].

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::Scope;
use std::time::{Duration, Instant};

use anyhow::Result;
use console::style;

use super::event::{Event, Key, SuspendedBy};
use super::layout::{self, Body, View};
use super::screen::Screen;
use super::terminal::{self, Kind};
use crate::course::{Course, Exercise};
use crate::grade::batch::{Job, grade_all};
use crate::grade::{Cancel, Cancelled, Control, Grade, GradeStatus, Grader, Phase, Subject};
use crate::invocation;
use crate::progress::Progress;
use crate::render::{self, Audience, Flow, Line, Rank, Report};
use crate::seal::{Restored, Seal};

const KEYS: [&str; 3] = [
    "n next · h hint · l list · r regrade · x reset · s solution · q quit",
    "n next · h hint · l list · x reset · q quit",
    "n h l r x s q",
];

/// How often the status row's elapsed time moves while a grade runs.
const TICK: Duration = Duration::from_secs(1);

/// The last verdict, kept on screen until the next one for the same exercise is ready.
struct Verdict {
    exercise: usize,
    status: GradeStatus,
    report: Report,
    took: Duration,
}

enum Activity {
    Idle,
    Compiling { since: Instant },
    Running { checks: usize, since: Instant },
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
    /// The diff from the learner's file to the solution.
    Solution(Report),
}

struct InFlight {
    cancel: Cancel,
    requested: Instant,
}

pub struct App<'scope, 'env: 'scope> {
    course: &'env Course,
    progress: &'env mut Progress,
    grader: &'env Grader<'env>,
    scope: &'scope Scope<'scope, 'env>,
    events: Sender<Event>,
    screen: Screen,
    shown: usize,
    verdict: Option<Verdict>,
    activity: Activity,
    notice: Option<String>,
    extra: Extra,
    mode: Mode,
    in_flight: Option<InFlight>,
    generation: u64,
    /// The generation of a grade started at a `Written`, until its burst's `Saved` arrives.
    early: Option<u64>,
    verified: bool,
    /// The next draw wipes the screen first (after a resume, on Ctrl-L).
    clear: bool,
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
            early: None,
            verified: false,
            clear: false,
        }
    }

    /// Runs until the learner quits (or nobody reads the output any more). A save made while
    /// dependencies were building opens that exercise; a burst of several does not.
    pub fn run(mut self, inbox: &Receiver<Event>) -> Result<()> {
        let mut saved = std::collections::BTreeSet::new();
        let mut later = Vec::new();
        while let Ok(event) = inbox.try_recv() {
            match event {
                Event::Saved { files, .. } => saved.extend(files),
                Event::Written(_) => {}
                other => later.push(other),
            }
        }
        if saved.len() == 1 {
            self.shown = saved.into_iter().next().unwrap_or(self.shown);
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
        if let Kind::Lines { human: true } = self.screen.kind() {
            self.screen.log(
                "keys: type n (next), h (hint), l (list), r (regrade), x (reset), s (solution) or q (quit), then Enter",
            );
        }
        self.grade(self.shown);
        let mut quit = false;
        for event in later {
            quit = quit || !self.handle(event);
        }
        if !quit {
            self.redraw();
            self.serve(inbox);
        }
        if let Some(in_flight) = self.in_flight.take() {
            in_flight.cancel.cancel();
        }
        Ok(())
    }

    /// Handles events until the learner quits, the events end or nobody reads the output.
    fn serve(&mut self, inbox: &Receiver<Event>) {
        loop {
            let event = if self.in_flight.is_some() && self.screen.is_terminal() {
                match inbox.recv_timeout(TICK) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match inbox.recv() {
                    Ok(event) => Some(event),
                    Err(_) => break,
                }
            };
            if let Some(event) = event
                && !self.handle(event)
            {
                break;
            }
            if crate::output::closed() {
                break;
            }
            self.redraw();
        }
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
            Event::Written(index) => self.written(index),
            Event::Saved { files, confirmed } => {
                // The grade a `Written` started stands when nothing changed since.
                let early = self.early.take();
                let stands =
                    confirmed && early == Some(self.generation) && files.as_slice() == [self.shown];
                if !stands {
                    self.saved(&files);
                }
            }
            Event::Key(key) => return self.key(key),
            Event::Resized => {}
            Event::Redraw => self.clear = true,
            Event::Suspend(by) => self.suspend(by),
            Event::Resumed => {
                self.screen.resume();
                self.clear = true;
            }
            Event::Phase { generation, phase } if generation == self.generation => {
                let since = match self.activity {
                    Activity::Compiling { since } | Activity::Running { since, .. } => since,
                    _ => Instant::now(),
                };
                self.activity = match phase {
                    Phase::Compiling => Activity::Compiling { since },
                    Phase::Running { checks } => Activity::Running {
                        checks,
                        since: Instant::now(),
                    },
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

    /// Ctrl-Z: the terminal goes back to the shell as it was, the job stops, and on `fg` the
    /// view comes back.
    fn suspend(&mut self, by: SuspendedBy) {
        if !self.screen.is_terminal() {
            return;
        }
        self.screen.suspend();
        match by {
            // The whole job stops, as Ctrl-Z does outside raw mode (`cargo run` included, or the
            // shell would wait on it). SIGSTOP, not SIGTSTP: our own SIGTSTP handler would
            // bring us back here.
            SuspendedBy::Key => {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::getpgrp(),
                    nix::sys::signal::Signal::SIGSTOP,
                );
            }
            SuspendedBy::Signal => {
                let _ =
                    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP);
            }
        }
        // Running again (SIGCONT): take the terminal back and draw everything.
        self.screen.resume();
        self.clear = true;
    }

    /// The current exercise's file was written and closed: grade it now rather than after the
    /// debounce (the burst's `Saved` confirms or replaces this grade). Other files wait for
    /// their `Saved`, which decides whether the learner moves.
    fn written(&mut self, index: usize) {
        let file = self.course.exercises[index].file();
        if index != self.shown || !self.course.path(&file).is_file() {
            return;
        }
        self.screen.log(&format!("saved {}", file.display()));
        self.notice = None;
        self.grade(index);
        self.early = Some(self.generation);
    }

    fn saved(&mut self, indices: &[usize]) {
        let Some(&only) = indices.first() else {
            return;
        };
        let burst = indices.len() > 1;
        if burst && !indices.contains(&self.shown) {
            let current = self.exercise().name();
            self.say(format!(
                "{} exercise files changed at once (a git checkout or stash?): staying on {current}",
                indices.len()
            ));
            return;
        }
        let index = if burst { self.shown } else { only };
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
            self.notice = burst.then(|| {
                format!(
                    "{} exercise files changed at once (a git checkout or stash?): staying on {}",
                    indices.len(),
                    exercise.name()
                )
            });
            if let Some(notice) = &self.notice {
                self.screen.log(notice);
            }
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
            in_batch: false,
        };
        self.in_flight = Some(InFlight {
            cancel: control.cancel.clone(),
            requested: Instant::now(),
        });
        self.activity = Activity::Compiling {
            since: Instant::now(),
        };
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
        let reason = render::reason_for_people(&grade)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        self.screen.log(&format!(
            "verdict {} {} in {:.2} s{reason}",
            exercise.name(),
            grade.status.as_str(),
            took.as_secs_f64()
        ));
        self.screen.log_for_people(
            &render::report(&grade, exercise, Audience::Run).text(render::terminal_width()),
        );
        self.verdict = Some(Verdict {
            exercise: self.shown,
            status: grade.status,
            report: render::report(&grade, exercise, Audience::Watch),
            took,
        });
        if let Extra::Solution(_) = self.extra {
            self.extra = Extra::Solution(self.solution_diff());
        }
        if !grade.passed() {
            // The latest grade is what counts: a done exercise that fails now is not done, and
            // `n` does not skip it. (A tampered or unsealed grade, or a broken course, says
            // nothing about the learner's file.)
            if grade.judges_the_file()
                && self.progress.mark_not_done(exercise.name())
                && let Err(error) = self.progress.save()
            {
                self.say(format!("could not save your progress: {error:#}"));
            }
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
                "Well done! Compare with {} (s shows what differs), then press n for the next exercise.",
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
                for grade in grades.iter().filter(|g| !g.passed()) {
                    if grade.judges_the_file() {
                        self.progress.mark_not_done(&grade.exercise);
                    }
                }
                if !failing.is_empty()
                    && let Err(error) = self.progress.save()
                {
                    self.say(format!("could not save your progress: {error:#}"));
                }
                if failing.is_empty() {
                    self.say(format!(
                        "All {} exercises pass. You have finished asynclings: futures, wakers and the rest are yours now. Press q to leave.",
                        grades.len()
                    ));
                } else {
                    self.verified = false;
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
                        "Reset {} to its shipped version (your changes to it are lost)? y / n",
                        self.exercise().name()
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

    /// The next hint level (the count is shared with `asynclings hint`). A level counts as
    /// used once it was on screen in full: at once in the plain log, after the draw that fit
    /// it on a terminal.
    fn hint(&mut self) {
        let exercise = self.exercise();
        let total = exercise.info.hints.len();
        if total == 0 {
            self.say(format!("{} has no hints", exercise.name()));
            return;
        }
        let used = self.progress.hints_shown(exercise.name());
        let level = match self.extra {
            Extra::Hint(level) if level >= total => {
                self.say(format!(
                    "that was the last hint ({total} of {total}); the solution opens once this exercise passes"
                ));
                return;
            }
            Extra::Hint(level) => level + 1,
            _ => (used + 1).min(total),
        };
        self.notice = None;
        self.extra = Extra::Hint(level);
        let text = exercise.info.hints[level - 1].trim().replace('\n', " ");
        self.screen
            .log(&format!("hint {} {level}/{total}: {text}", exercise.name()));
        if !self.screen.is_terminal() {
            self.hint_read(level);
        }
    }

    /// Records that hint `level` of the current exercise was read.
    fn hint_read(&mut self, level: usize) {
        let name = self.exercise().name();
        if level > self.progress.hints_shown(name) {
            self.progress.set_hints_shown(name, level);
            if let Err(error) = self.progress.save() {
                self.say(format!("could not save your progress: {error:#}"));
            }
        }
    }

    fn solution(&mut self) {
        let exercise = self.exercise();
        if self.progress.is_done(exercise.name()) {
            let diff = self.solution_diff();
            self.screen.log(&format!(
                "solution {}: {}",
                exercise.name(),
                exercise.solution().display()
            ));
            self.screen
                .log_for_people(&diff.text(render::terminal_width()));
            self.extra = Extra::Solution(diff);
        } else {
            self.say(
                "the solution opens once this exercise passes: keep going, or press h for a hint"
                    .into(),
            );
        }
    }

    fn solution_diff(&self) -> Report {
        let exercise = self.exercise();
        let read = |path| std::fs::read_to_string(self.course.path(path)).unwrap_or_default();
        render::diff::against_solution(
            &read(&exercise.file()),
            &read(&exercise.solution()),
            &exercise.solution().display().to_string(),
        )
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
            Ok(Restored::Restored) => self.say(format!(
                "restored {} to its shipped version",
                file.display()
            )),
            Ok(Restored::AlreadyShipped) => self.say(format!(
                "{} is already as shipped: nothing to restore",
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

    fn redraw(&mut self) {
        if !self.screen.is_terminal() {
            return;
        }
        let screenful = layout::layout(&self.view(), self.screen.size());
        self.screen
            .draw(&screenful.rows, std::mem::take(&mut self.clear));
        if let Extra::Hint(level) = self.extra
            && screenful.requested_in_full
        {
            self.hint_read(level);
        }
    }

    /// Everything on screen, in words; [`layout::layout`] decides what fits.
    fn view(&self) -> View {
        let exercise = self.exercise();
        let path = exercise.file();
        let hyperlinks = matches!(self.screen.kind(), Kind::Screen { hyperlinks: true });
        let body = match &self.mode {
            Mode::List { selected } => Body::List {
                rows: self.list_rows(*selected),
                selected: *selected,
            },
            _ => Body::Report(self.verdict_report()),
        };
        let keys = match self.mode {
            Mode::Normal => KEYS.iter().map(|k| (*k).to_owned()).collect(),
            Mode::ConfirmReset => vec!["y reset · any other key keeps your file".into()],
            Mode::List { .. } => vec![
                "↑/↓ or j/k choose · enter open · any other key back".into(),
                "j/k choose · enter open".into(),
            ],
        };
        View {
            exercise: exercise.name().to_owned(),
            chapter: exercise.chapter().to_owned(),
            path: path.display().to_string(),
            link: hyperlinks.then(|| terminal::file_url(&self.course.path(&path))),
            done: self.done(),
            total: self.course.exercises.len(),
            body,
            notice: self.notice.clone(),
            status: self.status_line(),
            keys,
            full_verdict: invocation::command(&format!("run {}", exercise.name())),
        }
    }

    fn verdict_report(&self) -> Report {
        let mut report = match &self.verdict {
            Some(verdict) if verdict.exercise == self.shown => verdict.report.clone(),
            _ => {
                let mut waiting = Report::default();
                waiting.push(
                    Rank::Essential,
                    Line::words("", style("(grading…)").dim().to_string()),
                );
                waiting
            }
        };
        let exercise = self.exercise();
        match &self.extra {
            Extra::None => {}
            Extra::Hint(level) => {
                report.gap();
                let title = format!("Hint {level} of {}:", exercise.info.hints.len());
                report.push(
                    Rank::Requested,
                    Line::words("", style(title).bold().to_string()),
                );
                report.push_lines(
                    Rank::Requested,
                    "",
                    exercise.info.hints[level - 1].trim(),
                    Flow::Words,
                );
            }
            Extra::Solution(diff) => {
                report.gap();
                report.append(diff.clone());
            }
        }
        report
    }

    fn list_rows(&self, selected: usize) -> Vec<String> {
        self.course
            .exercises
            .iter()
            .enumerate()
            .map(|(index, exercise)| {
                let line = format!(
                    "{:>3}  {:<8} {:<14} {}",
                    index + 1,
                    self.status_of(index),
                    exercise.chapter(),
                    exercise.name()
                );
                if index == selected {
                    style(format!("▶ {line}")).reverse().to_string()
                } else {
                    format!("  {line}")
                }
            })
            .collect()
    }

    fn status_line(&self) -> String {
        let seconds = |since: &Instant| since.elapsed().as_secs();
        match (&self.activity, &self.verdict) {
            (Activity::Compiling { since }, _) => {
                style(format!("⟳ compiling… {} s", seconds(since)))
                    .cyan()
                    .to_string()
            }
            (Activity::Running { checks, since }, _) => {
                style(format!("⟳ running {checks} checks… {} s", seconds(since)))
                    .cyan()
                    .to_string()
            }
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
