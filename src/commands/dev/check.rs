//! `asynclings dev check [NAME|PATH…] [--chapter NN_name…]`: prove the course honest.
//! info.toml and the files agree, the seal is current, every exercise fails as shipped, every
//! solution passes (rustfmt- and clippy-clean), every wrong fix is rejected with its expected
//! explanation, every right fix (a correct alternative) passes, and every cheat (a file that
//! tries to pass without solving the exercise) is rejected. Named exercises, chapters
//! or single files limit the check to them: it grades only what they need, and lists the
//! claims it did not check instead of calling them passed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use super::findings::{self, Counts, Finding};
use super::requirements::{self, Claim};
use super::selection::{self, Part, Scope};
use super::{cheats, layout, rustfmt, scaffold, seal_state};
use crate::commands::{announce, progress_bar};
use crate::course::{Course, Exercise};
use crate::exit;
use crate::grade::batch::grade_all;
use crate::grade::{Grader, SealPolicy};
use crate::render;
use crate::results::{self, Document, Entry, Format};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only these: exercise names, or paths of single files (a wrong or right fix, a
    /// cheat, a solution, an exercise as shipped; a grader stands for its whole exercise)
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
const CHEATS: &str = "every cheat is rejected with its verdict";
const RUSTFMT: &str = "every solution is rustfmt-clean";
const STANDARD: &str =
    "every exercise has at least 2 wrong fixes and 1 right fix (the course standard)";

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
        scaffold::placeholders(course, &selection::written_files(course, &parts), &whole),
    )];
    let mut not_checked: Vec<&str> = Vec::new();
    if whole.is_empty() {
        not_checked.push(LAYOUT);
    } else {
        let mut problems: Vec<String> = whole
            .iter()
            .flat_map(|e| layout::exercise_problems(course, e))
            .collect();
        for chapter in selection::chapters_of(&whole) {
            problems.extend(layout::chapter_problems(course, chapter));
        }
        if limited {
            not_checked.push(COURSE_WIDE);
        } else {
            problems.extend(layout::course_wide_problems(course));
            problems.extend(cheats::strays(course));
        }
        findings.push(Finding::error(LAYOUT, problems));
    }
    // Single files are checked to see their verdicts, often before anything is sealed: the
    // seal is a claim about whole exercises.
    if whole.is_empty() {
        not_checked.push(SEALED);
    } else {
        let relevant = limited.then(|| selection::sealed_files_of(course, &grader, &parts));
        findings.push(Finding::error(
            SEALED,
            seal_state::problems(course, grader.toolchain(), relevant.as_ref())?,
        ));
        if limited {
            not_checked.push(SEALED_ELSEWHERE);
        }
    }

    let sandbox = crate::supervise::sandbox_available();
    if let Err(reason) = &sandbox {
        announce(&format!(
            "{reason}: the cheat fixtures are not graded (one of them writes to this checkout)"
        ));
    }
    let (jobs, kinds) = requirements::plan(course, &parts, sandbox.is_ok());
    let bar = progress_bar(jobs.len(), &format!("grading {} files", jobs.len()));
    let grades = grade_all(&grader, &jobs, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut problems_of: Vec<(Claim, String)> = Vec::new();
    let mut counts = Counts::default();
    let mut entries = Vec::new();
    for ((job, kind), grade) in jobs.iter().zip(&kinds).zip(&grades) {
        let judged = requirements::judge(course, job, kind, grade);
        *match judged.claim {
            Claim::Shipped => &mut counts.shipped,
            Claim::Solutions => &mut counts.solutions,
            Claim::WrongFixes => &mut counts.wrong_fixes,
            Claim::RightFixes => &mut counts.right_fixes,
            Claim::Cheats => &mut counts.cheats,
        } += 1;
        if let Some(problem) = &judged.problem {
            // Problems located in the file (lints: `file:line:col: ...`) already name it.
            let line = if problem.starts_with(&format!("{}:", grade.subject)) {
                problem.clone()
            } else if judged.claim == Claim::Shipped {
                format!("{} {problem}", grade.subject)
            } else {
                format!("{}: {problem}", grade.subject)
            };
            problems_of.push((judged.claim, line));
        }
        entries.push(Entry::new(
            job.exercise,
            grade,
            judged.role,
            judged.expected,
            judged.problem,
        ));
    }
    let problems = |claim: Claim| -> Vec<String> {
        problems_of
            .iter()
            .filter(|(c, _)| *c == claim)
            .map(|(_, p)| p.clone())
            .collect()
    };
    for (text, covered, claim) in [
        (SHIPPED, covers(|s| *s == Scope::Shipped), Claim::Shipped),
        (
            SOLUTIONS,
            covers(|s| *s == Scope::Solution),
            Claim::Solutions,
        ),
        (
            WRONG_FIXES,
            covers(|s| matches!(s, Scope::WrongFix(_))),
            Claim::WrongFixes,
        ),
        (
            RIGHT_FIXES,
            covers(|s| matches!(s, Scope::RightFix(_))),
            Claim::RightFixes,
        ),
        (
            CHEATS,
            sandbox.is_ok() && covers(|s| matches!(s, Scope::Cheat(_))),
            Claim::Cheats,
        ),
    ] {
        if covered {
            findings.push(Finding::error(text, problems(claim)));
        } else {
            not_checked.push(text);
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
                .flat_map(|e| requirements::short_of_standard(course, e))
                .collect(),
            args.strict,
        ));
    }

    let machine = !args.format.is_human();
    for ((part, grade), job) in selection::single_files(&parts, &jobs, &grades) {
        let what = match &part.scope {
            Scope::Shipped => "as shipped",
            Scope::Solution => "solution",
            Scope::WrongFix(_) => "wrong fix",
            Scope::RightFix(_) => "right fix",
            Scope::Cheat(_) => "cheat",
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
    let described = limited.then(|| selection::describe(&parts));
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
