//! What a limited `asynclings dev check` looks at: whole exercises (by name or chapter), or
//! single files (a fixture, a cheat, a solution, an exercise as shipped) named by their path; and which
//! files and sealed fingerprints a selection covers.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::layout;
use crate::course::{CHEATS, Course, Exercise, RIGHT_FIXES, WRONG_FIXES};
use crate::exit::UsageError;
use crate::grade::batch::Job;
use crate::grade::{Grade, Grader};
use crate::seal::helper_files;

/// One piece of the course to check.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    pub exercise: &'a Exercise,
    pub scope: Scope,
}

impl PartialEq for Part<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.exercise.name() == other.exercise.name() && self.scope == other.scope
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything about the exercise.
    Whole,
    /// Its file as shipped (must fail).
    Shipped,
    /// Its solution (must pass, clippy- and rustfmt-clean).
    Solution,
    /// One wrong fix (course-relative), which must be rejected as it expects.
    WrongFix(PathBuf),
    /// One right fix (course-relative), which must pass.
    RightFix(PathBuf),
    /// One cheat (course-relative), which must be rejected as it expects.
    Cheat(PathBuf),
}

impl Part<'_> {
    /// The single file this part is about, if it is not a whole exercise.
    pub fn file(&self) -> Option<PathBuf> {
        match &self.scope {
            Scope::Whole => None,
            Scope::Shipped => Some(self.exercise.file()),
            Scope::Solution => Some(self.exercise.solution()),
            Scope::WrongFix(path) | Scope::RightFix(path) | Scope::Cheat(path) => {
                Some(path.clone())
            }
        }
    }
}

/// The parts named by `targets` (exercise names or file paths) and `chapters`, in course
/// order; `None` when nothing was named, which means the whole course.
pub fn select<'a>(
    course: &'a Course,
    targets: &[String],
    chapters: &[String],
) -> Result<Option<Vec<Part<'a>>>, UsageError> {
    if targets.is_empty() && chapters.is_empty() {
        return Ok(None);
    }
    let mut parts: Vec<Part<'a>> = Vec::new();
    for chapter in chapters {
        let members: Vec<&Exercise> = course
            .exercises
            .iter()
            .filter(|e| e.chapter() == chapter)
            .collect();
        if members.is_empty() {
            let known: BTreeSet<&str> = course.exercises.iter().map(|e| e.chapter()).collect();
            let known: Vec<&str> = known.into_iter().collect();
            return Err(UsageError(format!(
                "no chapter named `{chapter}`; the chapters are {}",
                known.join(", ")
            )));
        }
        parts.extend(members.into_iter().map(|exercise| Part {
            exercise,
            scope: Scope::Whole,
        }));
    }
    for target in targets {
        let part = if looks_like_a_path(target) {
            by_path(course, target)?
        } else {
            Part {
                exercise: course.find(target)?,
                scope: Scope::Whole,
            }
        };
        parts.push(part);
    }
    // A whole exercise covers its single files; course order; no duplicates.
    let whole: Vec<&str> = parts
        .iter()
        .filter(|p| p.scope == Scope::Whole)
        .map(|p| p.exercise.name())
        .collect();
    parts.retain(|p| p.scope == Scope::Whole || !whole.contains(&p.exercise.name()));
    let position = |p: &Part<'_>| {
        course
            .exercises
            .iter()
            .position(|e| e.name() == p.exercise.name())
    };
    parts.sort_by_key(|p| (position(p), p.file()));
    parts.dedup();
    Ok(Some(parts))
}

/// Exercise names are identifiers: anything with a `/` or a `.` is a path.
fn looks_like_a_path(target: &str) -> bool {
    target.contains('/') || target.contains('.')
}

/// The part a file path names. Relative paths are tried from the current folder, then from
/// the course's.
fn by_path<'a>(course: &'a Course, target: &str) -> Result<Part<'a>, UsageError> {
    let given = Path::new(target);
    let candidates = [
        std::env::current_dir().map(|d| d.join(given)).ok(),
        Some(course.root.join(given)),
    ];
    let Some(found) = candidates.into_iter().flatten().find(|p| p.is_file()) else {
        return Err(UsageError(format!("{target} does not exist")));
    };
    let root = course
        .root
        .canonicalize()
        .unwrap_or_else(|_| course.root.clone());
    let relative = found
        .canonicalize()
        .ok()
        .and_then(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
        .ok_or_else(|| {
            UsageError(format!(
                "{target} is not inside the course ({})",
                root.display()
            ))
        })?;
    classify(course, &relative).ok_or_else(|| {
        UsageError(format!(
            "{} is not a file `dev check` can check on its own: name an exercise, a chapter \
             (--chapter), or the path of a wrong fix, a right fix, a cheat, a solution, an \
             exercise or a grader",
            relative.display()
        ))
    })?
}

/// Which exercise and scope a course-relative path belongs to.
fn classify<'a>(course: &'a Course, relative: &Path) -> Option<Result<Part<'a>, UsageError>> {
    let words: Vec<&str> = relative
        .components()
        .map(|c| match c {
            Component::Normal(word) => word.to_str().unwrap_or(""),
            _ => "",
        })
        .collect();
    let rs = |file: &str| file.strip_suffix(".rs").map(str::to_owned);
    let (chapter, name, scope) = match words.as_slice() {
        ["exercises", chapter, file] => (*chapter, rs(file)?, Scope::Shipped),
        ["solutions", chapter, file] => (*chapter, rs(file)?, Scope::Solution),
        ["tests", "graders", chapter, file] => (*chapter, rs(file)?, Scope::Whole),
        ["tests", folder, chapter, name, file] if file.ends_with(".rs") => {
            let scope = if Path::new("tests").join(folder) == Path::new(WRONG_FIXES) {
                Scope::WrongFix(relative.to_owned())
            } else if Path::new("tests").join(folder) == Path::new(RIGHT_FIXES) {
                Scope::RightFix(relative.to_owned())
            } else if Path::new("tests").join(folder) == Path::new(CHEATS) {
                Scope::Cheat(relative.to_owned())
            } else {
                return None;
            };
            (*chapter, (*name).to_owned(), scope)
        }
        _ => return None,
    };
    let found = course
        .exercises
        .iter()
        .find(|e| e.name() == name && e.chapter() == chapter)
        .ok_or_else(|| {
            UsageError(format!(
                "{} belongs to no exercise: info.toml has no `{name}` in chapter {chapter}",
                relative.display()
            ))
        });
    Some(found.map(|exercise| Part { exercise, scope }))
}

/// The files whose placeholders a check of `parts` looks for.
pub fn written_files(course: &Course, parts: &[Part<'_>]) -> Vec<PathBuf> {
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
                files.extend(layout::fixtures_of(course, &exercise.cheats()));
            }
        }
    }
    files.extend(chapters_of(&whole).into_iter().map(layout::chapter_readme));
    files
}

/// The chapters of `exercises`, in order, once each.
pub fn chapters_of<'e>(exercises: &[&'e Exercise]) -> Vec<&'e str> {
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
pub fn sealed_files_of(
    course: &Course,
    grader: &Grader<'_>,
    parts: &[Part<'_>],
) -> BTreeSet<String> {
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

/// The single-file parts with their grades.
pub fn single_files<'p, 'a>(
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
pub fn describe(parts: &[Part<'_>]) -> String {
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
