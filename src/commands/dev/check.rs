//! `asynclings dev check`: prove the course honest. info.toml and the files agree, the seal
//! is current, every exercise fails as shipped, every solution passes (rustfmt- and
//! clippy-clean), and every wrong-fix fixture is rejected with its expected explanation.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};
use console::style;

use super::{fixtures, layout};
use crate::commands::{announce, progress_bar};
use crate::course::Course;
use crate::exit;
use crate::grade::batch::{Job, grade_all};
use crate::grade::{GradeStatus, Grader, SealPolicy, Subject};
use crate::render;
use crate::seal::{SEAL_FILE, Seal};

/// One line of the report: a claim and what contradicts it.
struct Finding {
    claim: &'static str,
    problems: Vec<String>,
}

pub fn run(course: &Course) -> Result<u8> {
    let grader = Grader::new(course, SealPolicy::Ignore, &announce)?;
    let mut findings = vec![Finding {
        claim: "info.toml and the files agree",
        problems: layout::problems(course),
    }];
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
    let bar = progress_bar(jobs.len(), &format!("grading {} files", jobs.len()));
    let grades = grade_all(&grader, &jobs, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut shipped = Vec::new();
    let mut solutions = Vec::new();
    let mut wrong_fixes = Vec::new();
    for (job, grade) in jobs.iter().zip(&grades) {
        let reason = || render::first_reason(grade).unwrap_or_default();
        match &job.subject {
            Subject::Exercise
                if matches!(grade.status, GradeStatus::Pass | GradeStatus::Missing) =>
            {
                let what = if grade.passed() {
                    "passes as shipped: nothing for the learner to fix"
                } else {
                    "is missing"
                };
                shipped.push(format!("{} {what}", grade.subject));
            }
            Subject::Solution if !grade.passed() => {
                solutions.push(format!(
                    "{}: {}: {}",
                    grade.subject,
                    grade.status.as_str(),
                    reason()
                ));
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
                if let Err(problem) = verdict {
                    wrong_fixes.push(format!("{}: {problem}", path.display()));
                }
            }
            _ => {}
        }
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
        claim: "every solution is rustfmt-clean",
        problems: rustfmt_problems(course, &grader)?,
    });

    let mut clean = true;
    for finding in &findings {
        if finding.problems.is_empty() {
            println!("{} {}", render::pass_mark(), finding.claim);
        } else {
            clean = false;
            println!("{} {}", render::fail_mark(), style(finding.claim).bold());
            for problem in &finding.problems {
                let mut lines = problem.lines();
                println!("    - {}", lines.next().unwrap_or(""));
                for line in lines {
                    println!("      {line}");
                }
            }
        }
    }
    let fixtures = expectations.len();
    println!(
        "\n{} exercises, {} solutions, {fixtures} wrong fixes graded: {}",
        course.exercises.len(),
        course.exercises.len(),
        if clean {
            style("the course is honest").green().bold()
        } else {
            style("problems above").red().bold()
        }
    );
    Ok(if clean { exit::SUCCESS } else { exit::FAILED })
}

fn seal_problems(course: &Course, grader: &Grader<'_>) -> Result<Vec<String>> {
    let fresh = Seal::compute(course, grader.toolchain());
    let Some(sealed) = Seal::load(course)? else {
        return Ok(vec![format!(
            "{SEAL_FILE} is missing: run `asynclings dev seal`"
        )]);
    };
    if sealed == fresh {
        return Ok(Vec::new());
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
