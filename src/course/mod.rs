//! A course: `info.toml` plus the exercise, solution and grader files it names.

pub mod info;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use info::{ExerciseInfo, Info, InfoError};

use crate::exit::UsageError;

pub const INFO_FILE: &str = "info.toml";
/// Where wrong-fix fixtures live: `tests/wrong_fixes/NN_chapter/NAME/WHAT.rs`.
pub const WRONG_FIXES: &str = "tests/wrong_fixes";
/// Where correct alternatives live: `tests/right_fixes/NN_chapter/NAME/WHAT.rs`.
pub const RIGHT_FIXES: &str = "tests/right_fixes";
/// Where cheat fixtures live: `tests/cheats/NN_chapter/NAME/KIND.rs`.
pub const CHEATS: &str = "tests/cheats";
/// Clippy's configuration file, looked up per chapter, then for the course.
pub const CLIPPY_CONFIG: &str = "clippy.toml";

/// A loaded course, rooted at the folder that holds `info.toml`.
pub struct Course {
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
    /// Absolute path of the Cargo manifest that provides the exercises' dependencies.
    pub dependencies_manifest: PathBuf,
}

/// One exercise and where its files live (paths relative to the course root).
#[derive(Debug, Clone)]
pub struct Exercise {
    pub info: ExerciseInfo,
}

impl Exercise {
    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn chapter(&self) -> &str {
        &self.info.chapter
    }

    /// The learner's file.
    pub fn file(&self) -> PathBuf {
        Path::new("exercises")
            .join(self.chapter())
            .join(format!("{}.rs", self.name()))
    }

    pub fn solution(&self) -> PathBuf {
        Path::new("solutions")
            .join(self.chapter())
            .join(format!("{}.rs", self.name()))
    }

    /// The hidden tests.
    pub fn grader(&self) -> PathBuf {
        Path::new("tests/graders")
            .join(self.chapter())
            .join(format!("{}.rs", self.name()))
    }

    /// The folder of wrong-fix fixtures the grader must reject.
    pub fn wrong_fixes(&self) -> PathBuf {
        Path::new(WRONG_FIXES)
            .join(self.chapter())
            .join(self.name())
    }

    /// The folder of correct alternatives (in other styles than the solution) the grader must
    /// accept.
    pub fn right_fixes(&self) -> PathBuf {
        Path::new(RIGHT_FIXES)
            .join(self.chapter())
            .join(self.name())
    }

    /// The folder of cheats (files that try to pass without solving the exercise) the grade
    /// must reject.
    pub fn cheats(&self) -> PathBuf {
        Path::new(CHEATS).join(self.chapter()).join(self.name())
    }
}

impl Course {
    /// The course root: `explicit` if given, else the nearest folder upwards from the current
    /// one that holds `info.toml`.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
        if let Some(root) = explicit {
            if !root.join(INFO_FILE).is_file() {
                bail!(
                    "{} has no {INFO_FILE}: it is not an asynclings course",
                    root.display()
                );
            }
            return root
                .canonicalize()
                .context("cannot resolve the course folder");
        }
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        cwd.ancestors()
            .find(|dir| dir.join(INFO_FILE).is_file())
            .map(Path::to_path_buf)
            .with_context(|| {
                format!(
                    "no {INFO_FILE} in {} or any folder above it: run asynclings inside a course \
                     (or pass --course DIR)",
                    cwd.display()
                )
            })
    }

    /// Reads `info.toml` under `root` and checks that every entry's hidden files exist.
    /// (A learner's exercise file may be missing: that is reported when it is graded.)
    pub fn load(root: &Path) -> Result<Self> {
        let info_path = root.join(INFO_FILE);
        let text = std::fs::read_to_string(&info_path)
            .with_context(|| format!("cannot read {}", info_path.display()))?;
        let info = Info::parse(&info_path, &text)?;
        let exercises: Vec<Exercise> = info
            .exercises
            .into_iter()
            .map(|info| Exercise { info })
            .collect();
        for exercise in &exercises {
            for file in [exercise.solution(), exercise.grader()] {
                if !root.join(&file).is_file() {
                    bail!(InfoError {
                        at: exercise.info.defined_at.clone(),
                        message: format!(
                            "exercise `{}` needs {}, which does not exist",
                            exercise.name(),
                            file.display()
                        ),
                    });
                }
            }
        }
        Ok(Self {
            root: root.to_owned(),
            // Resolved, so that `../` in info.toml does not hide where the manifest really is.
            dependencies_manifest: resolved(&root.join(&info.dependencies)),
            exercises,
        })
    }

    /// An absolute path for a path relative to the course root.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }

    /// The exercise called `name`, or a usage error that suggests the closest name.
    pub fn find(&self, name: &str) -> Result<&Exercise, UsageError> {
        if let Some(exercise) = self.exercises.iter().find(|e| e.name() == name) {
            return Ok(exercise);
        }
        let closest = self
            .exercises
            .iter()
            .map(|e| (strsim::jaro_winkler(name, e.name()), e.name()))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8);
        Err(UsageError(match closest {
            Some((_, suggestion)) => {
                format!("no exercise named `{name}`; did you mean `{suggestion}`?")
            }
            None => format!(
                "no exercise named `{name}`; `{}` shows them all",
                crate::invocation::command("list")
            ),
        }))
    }

    /// The `clippy.toml` that configures `exercise`'s lints: its chapter's if there is one (for
    /// lints that fit one chapter, such as `disallowed-methods` for `std::thread::sleep` in async
    /// code), else the course's. It is a hidden file: sealed like the graders.
    pub fn clippy_config(&self, exercise: &Exercise) -> Option<PathBuf> {
        let chapter = Path::new("exercises").join(exercise.chapter());
        [self.path(&chapter), self.root.clone()]
            .into_iter()
            .map(|folder| folder.join(CLIPPY_CONFIG))
            .find(|file| file.is_file())
    }

    /// The folder where asynclings keeps generated files (crate roots, test binaries, locks):
    /// under the target directory in use, so a read-only checkout with `CARGO_TARGET_DIR`
    /// elsewhere can still be graded.
    pub fn work_dir(&self) -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty());
        work_dir_for(&self.root, target.as_deref().map(Path::new))
    }
}

/// `target/asynclings` of the course at `root`; with a target directory of its own
/// (`CARGO_TARGET_DIR`, relative to the current folder as for cargo), a folder in
/// `<target>/asynclings` named after the course's folder and path, since copies of courses may
/// share that target directory and must not share work files.
fn work_dir_for(root: &Path, target: Option<&Path>) -> PathBuf {
    let Some(target) = target else {
        return root.join("target").join("asynclings");
    };
    let target = std::path::absolute(target).unwrap_or_else(|_| target.to_owned());
    let name = root
        .file_name()
        .map_or_else(|| "course".into(), |n| n.to_string_lossy().into_owned());
    let id = crate::seal::blob_id(root.as_os_str().as_encoded_bytes());
    target
        .join("asynclings")
        .join(format!("{name}-{}", &id[..12]))
}

/// `path` with symlinks and `..` resolved when it exists; as given otherwise (the error comes
/// later, from whoever needs the file).
fn resolved(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_files_go_under_the_target_directory_in_use() {
        let root = Path::new("/home/me/course");
        assert_eq!(
            work_dir_for(root, None),
            Path::new("/home/me/course/target/asynclings")
        );
        let shared = work_dir_for(root, Some(Path::new("/cache/target")));
        assert!(shared.starts_with("/cache/target/asynclings"), "{shared:?}");
        let name = shared.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("course-"), "{name}");
        // Two copies of one course sharing the target directory keep their work apart.
        let other = work_dir_for(
            Path::new("/home/you/course"),
            Some(Path::new("/cache/target")),
        );
        assert_ne!(shared, other);
        assert_eq!(
            shared,
            work_dir_for(root, Some(Path::new("/cache/target"))),
            "the same course finds its work files again"
        );
    }
}
