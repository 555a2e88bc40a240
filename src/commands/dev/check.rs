//! `asynclings dev check [NAME|PATH…] [--chapter NN_name…]`: prove the course honest.
//! info.toml and the files agree, the seal is current, every exercise fails as shipped, every
//! solution passes (rustfmt- and clippy-clean), every wrong fix is rejected with its expected
//! explanation, and every right fix (a correct alternative) passes. Named exercises, chapters
//! or single files limit the check to them: it grades only what they need, and lists the
//! claims it did not check instead of calling them passed.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use super::findings::{self, Counts, Finding};
use super::selection::{self, Part, Scope};
use super::{fixtures, layout, rustfmt, scaffold, seal_state};
use crate::commands::{announce, progress_bar};
use crate::course::{Course, Exercise};
use crate::exit;
use crate::grade::batch::{Job, grade_all};
use crate::grade::{Grade, GradeStatus, Grader, SealPolicy, Subject};
use crate::render;
use crate::results::{self, Document, Entry, Format, Role};
use crate::seal::{blob_id, helper_files};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only these: exercise names, or paths of single files (a wrong or right fix, a
    /// solution, an exercise as shipped; a grader stands for its whole exercise)
    #[arg(value_name = "NAME|PATH")]
    targets: Vec<String>,
    /// Check only this chapter's exercises (repeatable)
    #[arg(long, value_name = "NN_name")]
    chapter: Vec<String>,
    /// Fail on warnings too (an exercise with fewer than 2 wrong fixes or no right fix)
    #[arg(long)]
    strict: bool,
    /// Output format; a machine format goes to stdout, and the report to stderr
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

const WRITTEN: &str = "every file is written (no `asynclings dev new` placeholder is left)";
const LAYOUT: &str = "info.toml and the files agree";
const COURSE_WIDE: &str =
    "no file lies outside info.toml's exercises, no editor target names a missing exercise";
const SEALED: &str = "the seal is up to date";
const SEALED_ELSEWHERE: &str = "the seal of the exercises outside the selection";
const SHIPPED: &str = "every exercise fails as shipped";
const SOLUTIONS: &str = "every solution passes, clippy-clean";
const WRONG_FIXES: &str = "every wrong fix is rejected with its explanation";
const RIGHT_FIXES: &str = "every right fix (a correct alternative) passes";
const RUSTFMT: &str = "every solution is rustfmt-clean";
const STANDARD: &str =
    "every exercise has at least 2 wrong fixes and 1 right fix (the course standard)";

/// What a graded file is, and what it must do.
enum Kind {
    Shipped,
    Solution,
    WrongFix(Result<fixtures::Expectation, String>),
    RightFix(Result<String, String>),
}

pub fn run(course: &Course, args: &CheckArgs) -> Result<u8> {
    let started = Instant::now();
    let selection = selection::select(course, &args.targets, &args.chapter)?;
    let limited = selection.is_some();
    let parts: Vec<Part<'_>> = selection.unwrap_or_else(|| {
        course
            .exercises
            .iter()
            .map(|exercise| Part {
                exercise,
                scope: Scope::Whole,
            })
            .collect()
    });
    let covers = |wanted: fn(&Scope) -> bool| {
        parts
            .iter()
            .any(|p| p.scope == Scope::Whole || wanted(&p.scope))
    };
    let whole: Vec<&Exercise> = parts
        .iter()
        .filter(|p| p.scope == Scope::Whole)
        .map(|p| p.exercise)
        .collect();
    let grader = Grader::new(course, SealPolicy::Ignore, &announce)?;

    let mut findings = vec![Finding::error(
        WRITTEN,
        scaffold::placeholders(course, &written_files(course, &parts), &whole),
    )];
    let mut not_checked: Vec<&str> = Vec::new();
    if whole.is_empty() {
        not_checked.push(LAYOUT);
    } else {
        let mut problems: Vec<String> = whole
            .iter()
            .flat_map(|e| layout::exercise_problems(course, e))
            .collect();
        for chapter in chapters_of(&whole) {
            problems.extend(layout::chapter_problems(course, chapter));
        }
        if limited {
            not_checked.push(COURSE_WIDE);
        } else {
            problems.extend(layout::course_wide_problems(course));
        }
        findings.push(Finding::error(LAYOUT, problems));
    }
    // Single files are checked to see their verdicts, often before anything is sealed: the
    // seal is a claim about whole exercises.
    if whole.is_empty() {
        not_checked.push(SEALED);
    } else {
        let relevant = limited.then(|| sealed_files_of(course, &grader, &parts));
        findings.push(Finding::error(
            SEALED,
            seal_state::problems(course, grader.toolchain(), relevant.as_ref())?,
        ));
        if limited {
            not_checked.push(SEALED_ELSEWHERE);
        }
    }

    let (jobs, kinds) = plan(course, &parts);
    let bar = progress_bar(jobs.len(), &format!("grading {} files", jobs.len()));
    let grades = grade_all(&grader, &jobs, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut problems_of = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut counts = Counts::default();
    let mut entries = Vec::new();
    for ((job, kind), grade) in jobs.iter().zip(&kinds).zip(&grades) {
        let (role, expected, problem, bucket) = match kind {
            Kind::Shipped => {
                counts.shipped += 1;
                let problem = shipped_problem(grade);
                (Role::Exercise, Some("not-pass"), problem, 0)
            }
            Kind::Solution => {
                counts.solutions += 1;
                (Role::Solution, Some("pass"), must_pass_problem(grade), 1)
            }
            Kind::WrongFix(expected) => {
                counts.wrong_fixes += 1;
                let problem = expected
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|e| fixtures::check(grade, e))
                    .err();
                let expected = expected.as_ref().ok().map(|e| e.status.as_str());
                (Role::WrongFix, expected, problem, 2)
            }
            Kind::RightFix(style) => {
                counts.right_fixes += 1;
                let problem = same_as_solution(course, job)
                    .or_else(|| style.as_ref().err().cloned())
                    .or_else(|| must_pass_problem(grade));
                (Role::RightFix, Some("pass"), problem, 3)
            }
        };
        if let Some(problem) = &problem {
            // Problems located in the file (lints: `file:line:col: ...`) already name it.
            let line = if problem.starts_with(&format!("{}:", grade.subject)) {
                problem.clone()
            } else {
                let separator = if bucket == 0 { " " } else { ": " };
                format!("{}{separator}{problem}", grade.subject)
            };
            problems_of[bucket].push(line);
        }
        entries.push(Entry::new(job.exercise, grade, role, expected, problem));
    }
    let [shipped, solutions, wrong_fixes, right_fixes] = problems_of;
    for (claim, covered, problems) in [
        (SHIPPED, covers(|s| *s == Scope::Shipped), shipped),
        (SOLUTIONS, covers(|s| *s == Scope::Solution), solutions),
        (
            WRONG_FIXES,
            covers(|s| matches!(s, Scope::WrongFix(_))),
            wrong_fixes,
        ),
        (
            RIGHT_FIXES,
            covers(|s| matches!(s, Scope::RightFix(_))),
            right_fixes,
        ),
    ] {
        if covered {
            findings.push(Finding::error(claim, problems));
        } else {
            not_checked.push(claim);
        }
    }
    if covers(|s| *s == Scope::Solution) {
        let solutions: Vec<PathBuf> = parts
            .iter()
            .filter(|p| matches!(p.scope, Scope::Whole | Scope::Solution))
            .map(|p| p.exercise.solution())
            .collect();
        findings.push(Finding::error(
            RUSTFMT,
            rustfmt::problems(course, grader.toolchain(), &solutions)?,
        ));
    } else {
        not_checked.push(RUSTFMT);
    }
    if whole.is_empty() {
        not_checked.push(STANDARD);
    } else {
        findings.push(Finding::warning(
            STANDARD,
            whole
                .iter()
                .flat_map(|e| short_of_standard(course, e))
                .collect(),
            args.strict,
        ));
    }

    let machine = !args.format.is_human();
    for ((part, grade), job) in single_files(&parts, &jobs, &grades) {
        let what = match &part.scope {
            Scope::Shipped => "as shipped",
            Scope::Solution => "solution",
            Scope::WrongFix(_) => "wrong fix",
            Scope::RightFix(_) => "right fix",
            Scope::Whole => continue,
        };
        let verdict = render::verdict(grade, job.exercise);
        results::human(
            machine,
            &format!(
                "── {} ({what} of `{}`): what a learner would read ──\n{verdict}\n",
                grade.subject,
                part.exercise.name()
            ),
        );
    }
    let described = limited.then(|| describe(&parts));
    results::human(
        machine,
        &findings::report(&findings, described.as_deref(), &not_checked, counts),
    );
    let failed = findings.iter().any(Finding::fails);
    let selection = limited.then(|| results::Selection {
        exercises: whole.iter().map(|e| e.name().to_owned()).collect(),
        files: parts
            .iter()
            .filter_map(Part::file)
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        not_checked: not_checked.iter().map(|c| (*c).to_owned()).collect(),
    });
    let findings = findings.into_iter().map(Finding::into_result).collect();
    let document = Document::new("dev check", started.elapsed(), entries, findings, selection);
    if let Some(text) = args.format.render(&document) {
        print!("{text}");
    }
    Ok(if failed { exit::FAILED } else { exit::SUCCESS })
}

/// The grades to make for `parts`, and what each graded file must do.
fn plan<'a>(course: &Course, parts: &[Part<'a>]) -> (Vec<Job<'a>>, Vec<Kind>) {
    let mut jobs = Vec::new();
    let mut kinds = Vec::new();
    let read = |path: &PathBuf| std::fs::read_to_string(course.path(path)).unwrap_or_default();
    for part in parts {
        let exercise = part.exercise;
        let mut add = |subject: Subject, clippy: bool, kind: Kind| {
            jobs.push(Job {
                exercise,
                subject,
                clippy,
            });
            kinds.push(kind);
        };
        let (wrong, right) = match &part.scope {
            Scope::Whole => (
                layout::fixtures_of(course, &exercise.wrong_fixes()),
                layout::fixtures_of(course, &exercise.right_fixes()),
            ),
            Scope::WrongFix(path) => (vec![path.clone()], Vec::new()),
            Scope::RightFix(path) => (Vec::new(), vec![path.clone()]),
            Scope::Shipped | Scope::Solution => (Vec::new(), Vec::new()),
        };
        if matches!(part.scope, Scope::Whole | Scope::Shipped) {
            add(Subject::Exercise, false, Kind::Shipped);
        }
        if matches!(part.scope, Scope::Whole | Scope::Solution) {
            add(Subject::Solution, true, Kind::Solution);
        }
        for fixture in wrong {
            let expected = fixtures::expectation(&read(&fixture));
            add(Subject::WrongFix(fixture), false, Kind::WrongFix(expected));
        }
        for fixture in right {
            let style = fixtures::right_fix_style(&read(&fixture));
            add(Subject::RightFix(fixture), false, Kind::RightFix(style));
        }
    }
    (jobs, kinds)
}

/// The files whose placeholders a check of `parts` looks for.
fn written_files(course: &Course, parts: &[Part<'_>]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let whole: Vec<&Exercise> = parts
        .iter()
        .filter(|p| p.scope == Scope::Whole)
        .map(|p| p.exercise)
        .collect();
    for part in parts {
        match part.file() {
            Some(file) => files.push(file),
            None => {
                let exercise = part.exercise;
                files.extend([exercise.file(), exercise.solution(), exercise.grader()]);
                files.extend(layout::fixtures_of(course, &exercise.wrong_fixes()));
                files.extend(layout::fixtures_of(course, &exercise.right_fixes()));
            }
        }
    }
    files.extend(chapters_of(&whole).into_iter().map(layout::chapter_readme));
    files
}

/// The chapters of `exercises`, in order, once each.
fn chapters_of<'e>(exercises: &[&'e Exercise]) -> Vec<&'e str> {
    let mut chapters: Vec<&str> = Vec::new();
    for exercise in exercises {
        if !chapters.contains(&exercise.chapter()) {
            chapters.push(exercise.chapter());
        }
    }
    chapters
}

/// The sealed files a check of `parts` depends on (course-relative): the hidden tests and
/// clippy configuration of each exercise, the grading helpers, and the shipped file of each
/// exercise whose shipped file is checked.
fn sealed_files_of(course: &Course, grader: &Grader<'_>, parts: &[Part<'_>]) -> BTreeSet<String> {
    let relative = |path: PathBuf| {
        path.strip_prefix(&course.root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned()
    };
    let mut files: BTreeSet<String> = helper_files(course, grader.toolchain())
        .into_iter()
        .map(relative)
        .collect();
    for part in parts {
        let exercise = part.exercise;
        files.insert(exercise.grader().to_string_lossy().into_owned());
        files.extend(course.clippy_config(exercise).map(relative));
        if matches!(part.scope, Scope::Whole | Scope::Shipped) {
            files.insert(exercise.file().to_string_lossy().into_owned());
        }
    }
    files
}

/// Why an exercise as shipped does not leave the learner something to fix, if it does not.
fn shipped_problem(grade: &Grade) -> Option<String> {
    if grade.course_broken {
        return Some(format!(
            "fails as shipped only because {}",
            render::first_reason(grade).unwrap_or_default()
        ));
    }
    match grade.status {
        GradeStatus::Pass => Some("passes as shipped: nothing for the learner to fix".into()),
        GradeStatus::Missing => Some("is missing".into()),
        _ => None,
    }
}

/// Why a file that must pass (a solution, a right fix) did not.
fn must_pass_problem(grade: &Grade) -> Option<String> {
    if grade.passed() {
        return None;
    }
    let lints_only = grade.status == GradeStatus::Fail
        && grade.failed_checks().next().is_none()
        && !grade.diagnostics.is_empty();
    if lints_only {
        let lints: Vec<String> = grade
            .diagnostics
            .iter()
            .map(|d| {
                let code = d
                    .code
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default();
                format!(
                    "{}: {code}{}",
                    render::diagnostic_location(d, "", "")
                        .trim_start_matches(':')
                        .to_owned(),
                    d.message
                )
            })
            .collect();
        return Some(lints.join("\n"));
    }
    Some(format!(
        "{}: {}",
        grade.status.as_str(),
        render::first_reason(grade).unwrap_or_default()
    ))
}

/// A right fix identical to the solution shows no other style.
fn same_as_solution(course: &Course, job: &Job<'_>) -> Option<String> {
    let Subject::RightFix(path) = &job.subject else {
        return None;
    };
    let id = |p: PathBuf| std::fs::read(course.path(&p)).ok().map(|b| blob_id(&b));
    let same = id(path.clone()).is_some() && id(path.clone()) == id(job.exercise.solution());
    same.then(|| "is the solution itself: a correct alternative shows another style".to_owned())
}

/// What `exercise` lacks of the course standard: 2 wrong fixes, 1 right fix.
fn short_of_standard(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let wrong = layout::fixtures_of(course, &exercise.wrong_fixes()).len();
    if wrong < 2 {
        problems.push(format!(
            "`{}` has {wrong} wrong {} (2 different plausible mistakes belong in {}/)",
            exercise.name(),
            if wrong == 1 { "fix" } else { "fixes" },
            exercise.wrong_fixes().display()
        ));
    }
    if layout::fixtures_of(course, &exercise.right_fixes()).is_empty() {
        problems.push(format!(
            "`{}` has no right fix (a correct alternative in another style belongs in {}/)",
            exercise.name(),
            exercise.right_fixes().display()
        ));
    }
    problems
}

/// The single-file parts with their grades.
fn single_files<'p, 'a>(
    parts: &'p [Part<'a>],
    jobs: &'p [Job<'a>],
    grades: &'p [Grade],
) -> impl Iterator<Item = ((&'p Part<'a>, &'p Grade), &'p Job<'a>)> {
    parts.iter().filter_map(move |part| {
        let file = part.file()?;
        let index = grades
            .iter()
            .position(|g| g.subject == file.to_string_lossy())?;
        Some(((part, &grades[index]), &jobs[index]))
    })
}

/// The selection in words, for the report's first line.
fn describe(parts: &[Part<'_>]) -> String {
    let mut words = Vec::new();
    let whole: Vec<String> = parts
        .iter()
        .filter(|p| p.scope == Scope::Whole)
        .map(|p| format!("`{}`", p.exercise.name()))
        .collect();
    if !whole.is_empty() {
        words.push(format!(
            "{} {}",
            if whole.len() == 1 {
                "exercise"
            } else {
                "exercises"
            },
            whole.join(", ")
        ));
    }
    words.extend(
        parts
            .iter()
            .filter_map(Part::file)
            .map(|f| f.display().to_string()),
    );
    words.join("; ")
}
