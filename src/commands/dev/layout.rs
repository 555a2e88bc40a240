//! Does `info.toml` agree with the files? Nothing missing, nothing unlisted.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::course::{CLIPPY_CONFIG, Course};
use crate::grade::toolchain::collect_files;

/// Every disagreement between `info.toml` and the course's folders.
pub fn problems(course: &Course) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected: HashSet<PathBuf> = HashSet::new();
    let chapters: BTreeSet<&str> = course.exercises.iter().map(|e| e.chapter()).collect();
    for exercise in &course.exercises {
        for file in [exercise.file(), exercise.solution(), exercise.grader()] {
            if !course.path(&file).is_file() {
                problems.push(format!(
                    "{} is missing (exercise `{}`)",
                    file.display(),
                    exercise.name()
                ));
            }
            expected.insert(file);
        }
        let fixtures = fixtures_of(course, &exercise.wrong_fixes());
        if fixtures.is_empty() {
            problems.push(format!(
                "exercise `{}` has no wrong-fix fixture in {}/",
                exercise.name(),
                exercise.wrong_fixes().display()
            ));
        }
        expected.extend(fixtures);
    }
    for chapter in &chapters {
        let config = Path::new("exercises").join(chapter).join(CLIPPY_CONFIG);
        if course.path(&config).is_file() {
            expected.insert(config);
        }
        let readme = Path::new("exercises").join(chapter).join("README.md");
        if !course.path(&readme).is_file() {
            problems.push(format!("chapter {chapter} has no {}", readme.display()));
        }
        expected.insert(readme);
    }
    for folder in [
        "exercises",
        "solutions",
        "tests/graders",
        "tests/wrong_fixes",
    ] {
        let mut files = Vec::new();
        collect_files(&course.path(Path::new(folder)), &mut files);
        files.sort();
        for file in files {
            let relative = file.strip_prefix(&course.root).unwrap_or(&file).to_owned();
            if !expected.contains(&relative) {
                problems.push(format!(
                    "{} is not part of any exercise in info.toml",
                    relative.display()
                ));
            }
        }
    }
    problems.extend(editor_target_problems(course));
    problems
}

/// The wrong-fix fixtures of one exercise (course-relative).
pub fn fixtures_of(course: &Course, folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_files(&course.path(folder), &mut files);
    let mut fixtures: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        .filter_map(|f| f.strip_prefix(&course.root).ok().map(Path::to_path_buf))
        .collect();
    fixtures.sort();
    fixtures
}

/// When the dependency manifest has an `editor` feature, rust-analyzer learns about the
/// exercises from its `[[example]]` targets: one per exercise, no stale ones.
fn editor_target_problems(course: &Course) -> Vec<String> {
    let manifest_path = &course.dependencies_manifest;
    // A course that borrows another course's dependency manifest has no editor targets of its own.
    if !manifest_path.starts_with(&course.root) {
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(manifest_path) else {
        return Vec::new();
    };
    let Ok(manifest) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    if manifest
        .get("features")
        .and_then(|f| f.get("editor"))
        .is_none()
    {
        return Vec::new();
    }
    let manifest_dir = manifest_path.parent().unwrap_or(Path::new("."));
    let examples: Vec<(String, String)> = manifest
        .get("example")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("name")?.as_str()?.to_owned(),
                e.get("path")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let mut problems = Vec::new();
    for exercise in &course.exercises {
        let path = relative_path(manifest_dir, &course.path(&exercise.file()));
        if !examples
            .iter()
            .any(|(name, p)| name == exercise.name() && *p == path)
        {
            problems.push(format!(
                "{} lacks the editor target of `{}`; add:\n[[example]]\nname = \"{}\"\npath = \"{path}\"\ncrate-type = [\"rlib\"]\nrequired-features = [\"editor\"]",
                manifest_path.strip_prefix(&course.root).unwrap_or(manifest_path).display(),
                exercise.name(),
                exercise.name(),
            ));
        }
    }
    for (name, _) in &examples {
        if !course.exercises.iter().any(|e| e.name() == name) {
            problems.push(format!(
                "editor target `{name}` names no exercise in info.toml"
            ));
        }
    }
    problems
}

/// `target` relative to `from`, with `/` separators, as Cargo.toml paths are written.
pub(super) fn relative_path(from: &Path, target: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
