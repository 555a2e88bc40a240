//! Replacing a file so that a reader sees the old version or the new one, never half of one:
//! progress, the seal, caches and edited course files are all written this way.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to a temp file beside `path`, then renames it over `path`: a reader sees the
/// old file or the new one, never half of one.
///
/// A symbolic link is written through: its target gets the new content and the link stays (an
/// exercise or progress file kept elsewhere and linked into the course keeps working).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let resolved = link_target(path);
    let path = resolved.as_deref().unwrap_or(path);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    // Temp files are created private (0600); the file keeps the mode it had, or gets the usual
    // 0644, so a restored exercise or an edited info.toml is not quietly locked down.
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o644));
    temp.as_file()
        .set_permissions(permissions)
        .with_context(|| format!("cannot set the permissions of {}", temp.path().display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", temp.path().display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Where `path` leads when it is a symbolic link (through any chain of links, even to a file
/// that does not exist yet); `None` when it is not a link.
fn link_target(path: &Path) -> Option<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    let mut hops = 0;
    while std::fs::symlink_metadata(&current).is_ok_and(|m| m.is_symlink()) && hops < 40 {
        let target = std::fs::read_link(&current).ok()?;
        current = match current.parent() {
            Some(parent) => parent.join(target),
            None => target,
        };
        hops += 1;
    }
    (hops > 0).then_some(current)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_the_content_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("info.toml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o664
        );
        let fresh = dir.path().join("fresh.rs");
        write_atomically(&fresh, b"x").unwrap();
        assert_eq!(
            std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn writes_through_a_symbolic_link_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/file.rs");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.rs");
        std::os::unix::fs::symlink("real/file.rs", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link gets its target created.
        std::fs::remove_file(&target).unwrap();
        write_atomically(&link, b"again").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "again");
    }
}
