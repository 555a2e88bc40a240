//! `asynclings dev check`: prove the course honest. info.toml and the files agree, the seal
//! is current, every exercise fails as shipped, every solution passes (rustfmt- and
//! clippy-clean), and every wrong-fix fixture is rejected with its expected explanation.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use console::style;

use super::{cheats, fixtures, layout, scaffold};
use crate::commands::{announce, progress_bar};
use crate::course::Course;
use crate::exit;
use crate::grade::batch::{Job, grade_all};
use crate::grade::{GradeStatus, Grader, SealPolicy, Subject};
use crate::render;
use crate::results::{self, Document, Entry, Format, Role};
use crate::seal::{SEAL_FILE, Seal};

/// One line of the report: a claim and what contradicts it.
struct Finding {
    claim: &'static str,
    problems: Vec<String>,
}

pub fn run(course: &Course, format: Format) -> Result<u8> {
    let started = Instant::now();
    let grader = Grader::new(course, SealPolicy::Ignore, &announce)?;
    let mut findings = vec![Finding {
        claim: "every file is written (no `asynclings dev new` placeholder is left)",
        problems: scaffold::placeholders(course),
    }];
    findings.push(Finding {
        claim: "info.toml and the files agree",
        problems: layout::problems(course),
    });
    findings.push(Finding {
        claim: "the seal is up to date",
        problems: seal_problems(course, &grader)?,
    });

    let mut jobs = Vec::new();
    let mut expectations = Vec::new();
    for exercise in &course.exercises {
        jobs.push(Job {
            exercise,
            subject: Subject::Exercise,
            clippy: false,
        });
        jobs.push(Job {
            exercise,
            subject: Subject::Solution,
            clippy: true,
        });
        for fixture in layout::fixtures_of(course, &exercise.wrong_fixes()) {
            let source = std::fs::read_to_string(course.path(&fixture)).unwrap_or_default();
            expectations.push((fixture.clone(), fixtures::expectation(&source)));
            jobs.push(Job {
                exercise,
                subject: Subject::WrongFix(fixture),
                clippy: false,
            });
        }
    }
    let (cheats, mut cheat_problems) = cheats::collect(course);
    if let Err(reason) = crate::supervise::sandbox_available() {
        announce(&format!(
            "{reason}: the cheat fixtures are not graded (one of them writes to this checkout)"
        ));
    } else {
        for (exercise, cheat) in cheats {
            let source = std::fs::read_to_string(course.path(&cheat)).unwrap_or_default();
            expectations.push((cheat.clone(), fixtures::expectation(&source)));
            jobs.push(Job {
                exercise,
                subject: Subject::WrongFix(cheat),
                clippy: false,
            });
        }
    }
    let bar = progress_bar(jobs.len(), &format!("grading {} files", jobs.len()));
    let grades = grade_all(&grader, &jobs, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut shipped = Vec::new();
    let mut solutions = Vec::new();
    let mut wrong_fixes = Vec::new();
    let mut entries = Vec::new();
    for (job, grade) in jobs.iter().zip(&grades) {
        let reason = || render::first_reason(grade).unwrap_or_default();
        let (role, expected, problem) = match &job.subject {
            Subject::Exercise => {
                let problem = match grade.status {
                    GradeStatus::Pass => Some("passes as shipped: nothing for the learner to fix"),
                    GradeStatus::Missing => Some("is missing"),
                    _ => None,
                };
                shipped.extend(problem.map(|p| format!("{} {p}", grade.subject)));
                (Role::Exercise, Some("not-pass"), problem.map(str::to_owned))
            }
            Subject::Solution => {
                let problem =
                    (!grade.passed()).then(|| format!("{}: {}", grade.status.as_str(), reason()));
                solutions.extend(problem.as_ref().map(|p| format!("{}: {p}", grade.subject)));
                (Role::Solution, Some("pass"), problem)
            }
            Subject::WrongFix(path) => {
                let expected = &expectations
                    .iter()
                    .find(|(p, _)| p == path)
                    .expect("every fixture has an entry")
                    .1;
                let verdict = expected
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|e| fixtures::check(grade, e));
                let problem = verdict.err();
                let (list, role) = if cheats::is_cheat(path) {
                    (&mut cheat_problems, Role::Cheat)
                } else {
                    (&mut wrong_fixes, Role::WrongFix)
                };
                list.extend(problem.as_ref().map(|p| format!("{}: {p}", path.display())));
                let expected = expected.as_ref().ok().map(|e| e.status.as_str());
                (role, expected, problem)
            }
        };
        entries.push(Entry::new(job.exercise, grade, role, expected, problem));
    }
    findings.push(Finding {
        claim: "every exercise fails as shipped",
        problems: shipped,
    });
    findings.push(Finding {
        claim: "every solution passes, clippy-clean",
        problems: solutions,
    });
    findings.push(Finding {
        claim: "every wrong fix is rejected with its explanation",
        problems: wrong_fixes,
    });
    findings.push(Finding {
        claim: "every cheat is rejected with its verdict",
        problems: cheat_problems,
    });
    findings.push(Finding {
        claim: "every solution is rustfmt-clean",
        problems: rustfmt_problems(course, &grader)?,
    });

    let clean = findings.iter().all(|f| f.problems.is_empty());
    results::human(
        !format.is_human(),
        &report(&findings, course, &expectations, clean),
    );
    let findings = findings
        .into_iter()
        .map(|f| results::Finding {
            claim: f.claim.to_owned(),
            ok: f.problems.is_empty(),
            problems: f.problems,
        })
        .collect();
    let document = Document::new("dev check", started.elapsed(), entries, findings);
    if let Some(text) = format.render(&document) {
        print!("{text}");
    }
    Ok(if clean { exit::SUCCESS } else { exit::FAILED })
}

/// The report for people: each claim, and what contradicts it.
fn report<T>(
    findings: &[Finding],
    course: &Course,
    fixtures: &[(PathBuf, T)],
    clean: bool,
) -> String {
    let cheats = fixtures.iter().filter(|(p, _)| cheats::is_cheat(p)).count();
    let wrong_fixes = fixtures.len() - cheats;
    let mut out = String::new();
    for finding in findings {
        if finding.problems.is_empty() {
            let _ = writeln!(out, "{} {}", render::pass_mark(), finding.claim);
        } else {
            let _ = writeln!(
                out,
                "{} {}",
                render::fail_mark(),
                style(finding.claim).bold()
            );
            for problem in &finding.problems {
                let mut lines = problem.lines();
                let _ = writeln!(out, "    - {}", lines.next().unwrap_or(""));
                for line in lines {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} exercises, {} solutions, {wrong_fixes} wrong fixes, {cheats} cheats graded: {}",
        course.exercises.len(),
        course.exercises.len(),
        if clean {
            style("the course is honest").green().bold()
        } else {
            style("problems above").red().bold()
        }
    );
    out
}

fn seal_problems(course: &Course, grader: &Grader<'_>) -> Result<Vec<String>> {
    let fresh = Seal::compute(course, grader.toolchain());
    let Some(sealed) = Seal::load(course)? else {
        return Ok(vec![format!(
            "{SEAL_FILE} is missing: run `asynclings dev seal`"
        )]);
    };
    if sealed.files_match(&fresh) {
        return Ok(sealed.missing_check_lists(course));
    }
    let mut changed: Vec<&String> = Vec::new();
    for (old, new) in [
        (&sealed.hidden, &fresh.hidden),
        (&sealed.shipped, &fresh.shipped),
    ] {
        changed.extend(
            new.iter()
                .filter(|(path, id)| old.get(*path) != Some(id))
                .map(|(path, _)| path),
        );
        changed.extend(old.keys().filter(|path| !new.contains_key(*path)));
    }
    let list: Vec<String> = changed.iter().take(5).map(|p| p.to_string()).collect();
    let more = changed.len().saturating_sub(5);
    Ok(vec![format!(
        "{SEAL_FILE} is stale ({}{}): run `asynclings dev seal`",
        list.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )])
}

fn rustfmt_problems(course: &Course, grader: &Grader<'_>) -> Result<Vec<String>> {
    let files: Vec<PathBuf> = course
        .exercises
        .iter()
        .map(|e| e.solution())
        .filter(|f| course.path(f).is_file())
        .collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let toolchain = grader.toolchain();
    let output = Command::new(&toolchain.rustfmt)
        .args([
            "--check",
            "--files-with-diff",
            "--edition",
            &toolchain.edition,
        ])
        .args(&files)
        .current_dir(&course.root)
        .output()
        .with_context(|| format!("cannot run {}", toolchain.rustfmt.display()))?;
    let listed = String::from_utf8_lossy(&output.stdout);
    let mut problems: Vec<String> = listed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|file| {
            let file = file
                .strip_prefix(&format!("{}/", course.root.display()))
                .unwrap_or(file);
            format!(
                "{file} is not rustfmt-clean (run `rustfmt --edition {} {file}`)",
                toolchain.edition
            )
        })
        .collect();
    if problems.is_empty() && !output.status.success() {
        problems.push(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(problems)
}
