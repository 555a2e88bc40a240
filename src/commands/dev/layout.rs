//! Does `info.toml` agree with the files? Nothing missing, nothing unlisted.
//!
//! Split by scope, so a `dev check` of a few exercises checks what concerns them
//! ([`exercise_problems`], [`chapter_problems`]) and says it skipped the rest
//! ([`course_wide_problems`]); a full check runs all three.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::course::{CLIPPY_CONFIG, Course, Exercise, RIGHT_FIXES, WRONG_FIXES};
use crate::grade::toolchain::collect_files;

/// What is wrong with one exercise's files: a missing one, no wrong fix, no editor target.
pub fn exercise_problems(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    for file in [exercise.file(), exercise.solution(), exercise.grader()] {
        if !course.path(&file).is_file() {
            problems.push(format!(
                "{} is missing (exercise `{}`)",
                file.display(),
                exercise.name()
            ));
        }
    }
    if fixtures_of(course, &exercise.wrong_fixes()).is_empty() {
        problems.push(format!(
            "exercise `{}` has no wrong-fix fixture in {}/",
            exercise.name(),
            exercise.wrong_fixes().display()
        ));
    }
    if let Some(targets) = EditorTargets::of(course) {
        problems.extend(targets.missing(course, exercise));
    }
    problems
}

/// What is wrong with a chapter's own files (its README).
pub fn chapter_problems(course: &Course, chapter: &str) -> Vec<String> {
    let readme = chapter_readme(chapter);
    if course.path(&readme).is_file() {
        Vec::new()
    } else {
        vec![format!("chapter {chapter} has no {}", readme.display())]
    }
}

/// What only a look at the whole course finds: files that belong to no exercise, editor
/// targets that name no exercise.
pub fn course_wide_problems(course: &Course) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected: HashSet<PathBuf> = HashSet::new();
    for exercise in &course.exercises {
        expected.extend([exercise.file(), exercise.solution(), exercise.grader()]);
        expected.extend(fixtures_of(course, &exercise.wrong_fixes()));
        expected.extend(fixtures_of(course, &exercise.right_fixes()));
        let chapter = Path::new("exercises").join(exercise.chapter());
        expected.insert(chapter.join(CLIPPY_CONFIG));
        expected.insert(chapter.join("README.md"));
    }
    for folder in [
        "exercises",
        "solutions",
        "tests/graders",
        WRONG_FIXES,
        RIGHT_FIXES,
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
    if let Some(targets) = EditorTargets::of(course) {
        problems.extend(targets.stale(course));
    }
    problems
}

pub fn chapter_readme(chapter: &str) -> PathBuf {
    Path::new("exercises").join(chapter).join("README.md")
}

/// The `.rs` fixtures in `folder` (course-relative in and out), sorted.
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

/// The `[[example]]` targets of a dependency manifest with an `editor` feature: rust-analyzer
/// learns about the exercises from them, so there must be one per exercise, and no stale one.
pub struct EditorTargets {
    /// The manifest, relative to the course.
    manifest: PathBuf,
    manifest_dir: PathBuf,
    /// (name, path as written).
    examples: Vec<(String, String)>,
}

impl EditorTargets {
    /// `None` when the course keeps no editor targets (no `editor` feature, or a manifest
    /// borrowed from outside the course).
    pub fn of(course: &Course) -> Option<Self> {
        let manifest_path = &course.dependencies_manifest;
        if !manifest_path.starts_with(&course.root) {
            return None;
        }
        let manifest = std::fs::read_to_string(manifest_path)
            .ok()?
            .parse::<toml::Table>()
            .ok()?;
        manifest.get("features")?.get("editor")?;
        let examples = manifest
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
        Some(Self {
            manifest: manifest_path
                .strip_prefix(&course.root)
                .unwrap_or(manifest_path)
                .to_owned(),
            manifest_dir: manifest_path.parent().unwrap_or(Path::new(".")).to_owned(),
            examples,
        })
    }

    /// The path an exercise's target must have, as written in the manifest.
    pub fn path_of(&self, course: &Course, exercise_file: &Path) -> String {
        relative_path(&self.manifest_dir, &course.path(exercise_file))
    }

    fn missing(&self, course: &Course, exercise: &Exercise) -> Option<String> {
        let path = self.path_of(course, &exercise.file());
        let present = self
            .examples
            .iter()
            .any(|(name, p)| name == exercise.name() && *p == path);
        (!present).then(|| {
            format!(
                "{} lacks the editor target of `{}`; add:\n[[example]]\nname = \"{}\"\npath = \"{path}\"\ncrate-type = [\"rlib\"]\nrequired-features = [\"editor\"]",
                self.manifest.display(),
                exercise.name(),
                exercise.name(),
            )
        })
    }

    fn stale(&self, course: &Course) -> Vec<String> {
        self.examples
            .iter()
            .filter(|(name, _)| !course.exercises.iter().any(|e| e.name() == name))
            .map(|(name, _)| format!("editor target `{name}` names no exercise in info.toml"))
            .collect()
    }
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
