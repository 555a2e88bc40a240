//! The editor targets in the dependency manifest (`course/Cargo.toml`), edited as text: one
//! `[[example]]` per exercise, added by `dev new`, renamed by `dev rename`, taken out by
//! `dev remove`. Each edit is parsed back and compared with what was meant before anything is
//! written. A course without editor targets (see [`layout::EditorTargets`]) gets no edit.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::layout::EditorTargets;
use super::toml_text;
use crate::course::Course;
use crate::seal::{Seal, blob_id};

/// A manifest's new contents.
pub struct Edit {
    /// Absolute.
    pub manifest: PathBuf,
    pub text: String,
}

impl Edit {
    /// Keeps `seal` as current as it was: when it holds the manifest's fingerprint as the file
    /// is now (a local package's manifest is a hidden file), it gets the edited one; a stale
    /// fingerprint stays stale. Returns whether the seal changed.
    pub fn reseal(&self, course: &Course, seal: &mut Seal) -> bool {
        let key = self.relative(course).to_string_lossy().into_owned();
        let now = std::fs::read(&self.manifest)
            .map(|bytes| blob_id(&bytes))
            .ok();
        match seal.hidden.get_mut(&key) {
            Some(sealed) if Some(&*sealed) == now.as_ref() => {
                *sealed = blob_id(self.text.as_bytes());
                true
            }
            _ => false,
        }
    }

    /// The manifest, relative to the course.
    pub fn relative(&self, course: &Course) -> PathBuf {
        self.manifest
            .strip_prefix(&course.root)
            .unwrap_or(&self.manifest)
            .to_owned()
    }
}

/// The manifest with an editor target for the exercise file `file` named `name` appended.
pub fn append(course: &Course, name: &str, file: &Path) -> Result<Option<Edit>> {
    let Some(targets) = EditorTargets::of(course) else {
        return Ok(None);
    };
    let manifest = course.dependencies_manifest.clone();
    let mut text = read(&manifest)?;
    let path = targets.path_of(course, file);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n[[example]]\nname = \"{name}\"\npath = \"{path}\"\ncrate-type = [\"rlib\"]\nrequired-features = [\"editor\"]\n"
    ));
    let mut expected = names(&manifest, &read(&manifest)?)?;
    expected.push(name.to_owned());
    verify(&manifest, &text, &expected)?;
    Ok(Some(Edit { manifest, text }))
}

/// The manifest with the editor target `old` renamed to `new`, pointing at `new_file`; `None`
/// when the course keeps no editor targets or has none named `old`.
pub fn rename(course: &Course, old: &str, new: &str, new_file: &Path) -> Result<Option<Edit>> {
    let Some(targets) = EditorTargets::of(course) else {
        return Ok(None);
    };
    let manifest = course.dependencies_manifest.clone();
    let text = read(&manifest)?;
    let mut lines: Vec<String> = toml_text::lines(&text)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let borrowed: Vec<&str> = lines.iter().map(String::as_str).collect();
    let Some(table) = toml_text::tables(&borrowed, "example")
        .into_iter()
        .find(|t| toml_text::string_value(&borrowed, t, "name").is_some_and(|(_, v)| v == old))
    else {
        return Ok(None);
    };
    let path = targets.path_of(course, new_file);
    let (name_line, _) = toml_text::string_value(&borrowed, &table, "name").expect("found above");
    let path_line = toml_text::string_value(&borrowed, &table, "path").map(|(line, _)| line);
    let renamed_name = toml_text::with_string_value(&lines[name_line], "name", new);
    let renamed_path =
        path_line.and_then(|l| toml_text::with_string_value(&lines[l], "path", &path));
    let (Some(renamed_name), Some(path_line), Some(renamed_path)) =
        (renamed_name, path_line, renamed_path)
    else {
        bail!(
            "cannot find the `name` and `path` of the editor target `{old}` in {}: rename it there by hand",
            manifest.display()
        );
    };
    lines[name_line] = renamed_name;
    lines[path_line] = renamed_path;
    let edited = lines.concat();
    let expected: Vec<String> = names(&manifest, &text)?
        .into_iter()
        .map(|n| if n == old { new.to_owned() } else { n })
        .collect();
    verify(&manifest, &edited, &expected)?;
    Ok(Some(Edit {
        manifest,
        text: edited,
    }))
}

/// The manifest without the editor target `name`; `None` when there is none to take out.
pub fn remove(course: &Course, name: &str) -> Result<Option<Edit>> {
    if EditorTargets::of(course).is_none() {
        return Ok(None);
    }
    let manifest = course.dependencies_manifest.clone();
    let text = read(&manifest)?;
    let lines = toml_text::lines(&text);
    let Some(table) = toml_text::tables(&lines, "example")
        .into_iter()
        .find(|t| toml_text::string_value(&lines, t, "name").is_some_and(|(_, v)| v == name))
    else {
        return Ok(None);
    };
    let edited = toml_text::without(&lines, &table);
    let expected: Vec<String> = names(&manifest, &text)?
        .into_iter()
        .filter(|n| n != name)
        .collect();
    verify(&manifest, &edited, &expected)?;
    Ok(Some(Edit {
        manifest,
        text: edited,
    }))
}

fn read(manifest: &Path) -> Result<String> {
    std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))
}

/// The names of the `[[example]]` targets in `text`.
fn names(manifest: &Path, text: &str) -> Result<Vec<String>> {
    let parsed: toml::Table = text
        .parse()
        .with_context(|| format!("cannot parse {}", manifest.display()))?;
    Ok(parsed
        .get("example")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.get("name")?.as_str()?.to_owned()))
        .collect())
}

/// Refuses an edit that does not leave exactly `expected` targets.
fn verify(manifest: &Path, edited: &str, expected: &[String]) -> Result<()> {
    let names = names(manifest, edited).with_context(|| {
        format!(
            "editing {} would break it; nothing was changed",
            manifest.display()
        )
    })?;
    if names != expected {
        bail!(
            "editing {} as text would not give the editor targets meant ({} instead of {}); nothing was changed: edit it by hand",
            manifest.display(),
            names.join(", "),
            expected.join(", ")
        );
    }
    Ok(())
}
