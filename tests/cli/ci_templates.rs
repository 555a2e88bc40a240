//! The CI templates in docs/ci/ call asynclings with flags that exist and produce a report:
//! every `asynclings verify|dev check` command in them runs against a fixture course.

use std::path::Path;

use crate::support::{Pack, stdout};

/// The asynclings commands of a template (not its comments): from `asynclings` to a
/// redirection, a pipe or `)`.
fn commands(template: &str) -> Vec<Vec<String>> {
    template
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let start = line
                .find("asynclings verify")
                .or_else(|| line.find("asynclings dev"))?;
            let command = &line[start..];
            let end = command.find(['>', ')', '|']).unwrap_or(command.len());
            Some(
                command[..end]
                    .split_whitespace()
                    .skip(1)
                    .map(str::to_owned)
                    .collect(),
            )
        })
        .collect()
}

fn templates(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            templates(&path, into);
        } else if path.extension().is_some_and(|e| e == "yml") {
            into.push(path);
        }
    }
}

#[test]
fn every_command_in_the_ci_templates_runs_and_reports() {
    let mut files = Vec::new();
    templates(&Pack::root().join("docs/ci"), &mut files);
    files.sort();
    let pack = Pack::copy("basic");
    // `--tests-from DIR` names the instructor's checkout beside the student's.
    let instructor = Pack::copy("basic");
    let mut ran: Vec<Vec<String>> = Vec::new();
    for file in &files {
        let template = std::fs::read_to_string(file).unwrap();
        for args in commands(&template) {
            if ran.contains(&args) {
                continue;
            }
            ran.push(args.clone());
            let mut args = args.clone();
            if let Some(at) = args.iter().position(|a| a == "--tests-from") {
                args[at + 1] = instructor.path("").display().to_string();
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // The fixture course has an exercise that passes as shipped and three that fail:
            // every command grades it and says no (1), with a report on stdout.
            let output = pack.asynclings(&args).status(1).run();
            assert!(
                !stdout(&output).trim().is_empty(),
                "{}: `asynclings {}` printed no report",
                file.display(),
                args.join(" ")
            );
        }
    }
    assert!(
        ran.len() >= 3,
        "found only {ran:?} in {files:?}: verify, dev check and the classroom export"
    );
}
