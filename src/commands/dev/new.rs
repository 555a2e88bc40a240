//! `asynclings dev new NAME --chapter NN_name`: scaffold an exercise so that every file the
//! course needs exists, in its place, and `dev check` names what is left to write.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{info_edit, manifest_edit, scaffold};
use crate::atomic_file::write_atomically;
use crate::course::{Course, INFO_FILE, Info, info};
use crate::exit::UsageError;
use crate::invocation;
use crate::seal::Seal;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The exercise's name: lowercase letters, digits and `_` (say, `wakers7_shared_state`)
    name: String,
    /// Its chapter, as in info.toml (say, `02_wakers`)
    #[arg(long, value_name = "NN_name")]
    chapter: String,
    /// Start this chapter (it is not in info.toml yet); also writes its README.md
    #[arg(long)]
    new_chapter: bool,
}

pub fn run(course: &Course, args: &NewArgs) -> Result<()> {
    let (name, chapter) = (args.name.as_str(), args.chapter.as_str());
    check_names(course, name, chapter, args.new_chapter)?;

    let info_path = course.root.join(INFO_FILE);
    let text = std::fs::read_to_string(&info_path)
        .with_context(|| format!("cannot read {}", info_path.display()))?;
    let parsed = Info::parse(&info_path, &text)?;
    let entry = info_edit::entry(name, chapter, &scaffold::hints());
    let edited = info_edit::insert(&text, &parsed, chapter, &entry);
    let after = placed_after(&info_path, &edited, name)?;

    let files = scaffold::files(name, chapter, args.new_chapter, crates(course));
    for file in &files {
        if course.path(&file.path).exists() {
            return Err(UsageError(format!(
                "{} already exists: remove it, or choose another name",
                file.path.display()
            ))
            .into());
        }
    }
    let exercise_file = Path::new("exercises")
        .join(chapter)
        .join(format!("{name}.rs"));
    let editor = manifest_edit::append(course, name, &exercise_file)?;

    for file in &files {
        create(&course.path(&file.path), &file.contents)?;
    }
    write_atomically(&info_path, edited.as_bytes())?;
    if let Some(edit) = &editor {
        // The manifest of a local package is sealed: keep a current seal current, so the new
        // target is not reported as tampering (with a suggestion to undo it).
        let mut seal = Seal::load(course)?;
        let resealed = seal.as_mut().is_some_and(|seal| edit.reseal(course, seal));
        write_atomically(&edit.manifest, edit.text.as_bytes())?;
        if let Some(seal) = seal.filter(|_| resealed) {
            seal.save(course)?;
        }
    }

    println!("Scaffolded `{name}` in chapter {chapter}:");
    let width = files
        .iter()
        .map(|f| f.path.as_os_str().len())
        .max()
        .unwrap_or(0);
    for file in &files {
        println!("  {:<width$}  {}", file.path.display(), file.role);
    }
    let place = match &after {
        Some(previous) => format!("after `{previous}`"),
        None => "first".to_owned(),
    };
    println!(
        "  {:<width$}  its entry, {place}, with placeholder hints",
        INFO_FILE
    );
    if let Some(edit) = &editor {
        println!(
            "  {:<width$}  its editor target, for rust-analyzer",
            edit.relative(course).display()
        );
    }
    println!(
        "\nReplace every `{}` placeholder (`{}` lists what is left), then `{}`.",
        scaffold::MARKER.trim_end_matches(':'),
        invocation::command(&format!("dev check {name}")),
        invocation::command("dev seal"),
    );
    Ok(())
}

/// Refuses a name or chapter that is malformed, taken, or (without `--new-chapter`) unknown.
fn check_names(course: &Course, name: &str, chapter: &str, new_chapter: bool) -> Result<()> {
    if !info::is_identifier(name) {
        bail!(UsageError(format!(
            "exercise name `{name}` must be lowercase letters, digits and `_`, starting with a letter"
        )));
    }
    if !info::is_chapter(chapter) {
        bail!(UsageError(format!(
            "chapter `{chapter}` must look like `02_wakers` (two digits, `_`, a name)"
        )));
    }
    if let Some(existing) = course.exercises.iter().find(|e| e.name() == name) {
        bail!(UsageError(format!(
            "exercise `{name}` already exists ({}, chapter {})",
            existing.info.defined_at,
            existing.chapter()
        )));
    }
    let mut chapters: Vec<&str> = Vec::new();
    for exercise in &course.exercises {
        if !chapters.contains(&exercise.chapter()) {
            chapters.push(exercise.chapter());
        }
    }
    let known = chapters.contains(&chapter);
    if known && new_chapter {
        bail!(UsageError(format!(
            "chapter {chapter} already exists: leave out --new-chapter to add to it"
        )));
    }
    if !known && !new_chapter {
        let closest = chapters
            .iter()
            .map(|c| (strsim::jaro_winkler(chapter, c), *c))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8)
            .map(|(_, c)| format!("did you mean {c}? "))
            .unwrap_or_default();
        let list = if chapters.is_empty() {
            "none yet".to_owned()
        } else {
            chapters.join(", ")
        };
        bail!(UsageError(format!(
            "there is no chapter {chapter} in {INFO_FILE} (chapters: {list}); {closest}to start it, add --new-chapter"
        )));
    }
    Ok(())
}

/// Checks that the edited `info.toml` parses and lists `name`; returns the exercise before it.
fn placed_after(info_path: &Path, edited: &str, name: &str) -> Result<Option<String>> {
    let info = Info::parse(info_path, edited).map_err(|err| {
        anyhow::anyhow!("adding the entry would break {INFO_FILE} ({err}); nothing was written")
    })?;
    let index = info
        .exercises
        .iter()
        .position(|e| e.name == name)
        .context("the new entry did not land in info.toml; nothing was written")?;
    Ok(index.checked_sub(1).map(|i| info.exercises[i].name.clone()))
}

/// Which crates the scaffolded hidden tests may use: the dependency manifest's own
/// `[dependencies]` (the crates grades get as `--extern`).
fn crates(course: &Course) -> scaffold::Crates {
    let Some(manifest) = read_manifest(&course.dependencies_manifest) else {
        return scaffold::Crates::default();
    };
    let has = |name: &str| {
        manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .is_some_and(|d| d.contains_key(name))
    };
    scaffold::Crates {
        tokio: has("tokio"),
        grading: has("asynclings-grading"),
    }
}

fn read_manifest(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

/// Writes a new file; never replaces one.
fn create(path: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
