//! The grade cache: test binaries kept by what went into them, so grading a file again that
//! nothing changed for (`verify` on a warm course, `dev check` after editing one fixture)
//! skips both compiles. The checks always run: only the build is reused.
//!
//! An entry is found by a key hashing the compilers' whole command lines (flags, paths,
//! dependencies, toolchain), the contents of the graded file, the generated root, the grader,
//! the clippy configuration and the course's helper sources. It is used only when, besides,
//! every source file rustc read for it (its dep-info: modules, `include_str!`…) still has the
//! content it had, and the binary still has the length and checksum recorded when it was stored.
//! Anything else (a partial or corrupt entry, an unreadable file) is a miss: the entry is
//! removed and the grade compiles. Content, never modification times, decides.
//!
//! Entries are folders `<key>/` holding `grade` and `entry.json`, written aside and renamed
//! into place whole. The cache holds at most [`limit`] bytes of binaries. Fixtures' entries (wrong
//! and right fixes, cheats: hundreds in a course, graded in one sweep by `dev check`) go first,
//! so they never push out the solutions' and the learner's; within each kind, the entries used
//! longest ago go first.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::report::Diagnostic;

/// The cache's default bound; `ASYNCLINGS_GRADE_CACHE_MB` changes it (0 turns the cache off).
const DEFAULT_LIMIT_MB: u64 = 256;
const BINARY: &str = "grade";
const ENTRY: &str = "entry.json";
/// Present in the entry of a fixture's binary.
const FIXTURE: &str = "fixture";
/// Bumped whenever what a key covers changes meaning.
const FORMAT: &str = "asynclings grade cache 2";

/// The cache of `work_dir`.
pub struct GradeCache {
    dir: PathBuf,
    limit: u64,
    /// Entries being stored in the background ([`GradeCache::insert_in_background`]).
    pending: Mutex<Vec<JoinHandle<()>>>,
}

/// A key: what went into a test binary, hashed.
pub struct KeyBuilder {
    hasher: sha1_smol::Sha1,
}

impl Default for KeyBuilder {
    fn default() -> Self {
        let mut builder = Self {
            hasher: sha1_smol::Sha1::new(),
        };
        builder.part(FORMAT.as_bytes());
        builder.part(env!("CARGO_PKG_VERSION").as_bytes());
        builder
    }
}

impl KeyBuilder {
    /// Adds one input (length-prefixed, so parts cannot run into each other).
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.hasher.update(&(bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
        self
    }

    /// Adds a file's content (a missing file counts as such).
    pub fn file(&mut self, path: &Path) -> &mut Self {
        match std::fs::read(path) {
            Ok(bytes) => self.part(b"file").part(&bytes),
            Err(_) => self.part(b"missing"),
        }
    }

    pub fn finish(&self) -> String {
        self.hasher.digest().to_string()
    }
}

/// What an entry records besides its binary.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: String,
    binary_len: u64,
    /// XXH3-128 of the binary: it detects a damaged entry (a disk error, a truncated copy), not
    /// an attacker, who could rewrite this record as easily; 20 times faster than SHA-1 on
    /// the 3 MB read before every use.
    binary_checksum: String,
    /// Every source file rustc read, with its content's SHA-1 ("missing" when it had none).
    sources: Vec<(PathBuf, String)>,
    /// Environment variables the code read at compile time (`env!`), with their values.
    environment: Vec<(String, Option<String>)>,
    /// The exercise crate's warnings, reported again on a hit.
    warnings: Vec<CachedDiagnostic>,
}

/// A [`Diagnostic`] with rustc's rendering (which the JSON report leaves out).
#[derive(Debug, Serialize, Deserialize)]
struct CachedDiagnostic {
    level: String,
    message: String,
    code: Option<String>,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    rendered: String,
}

impl GradeCache {
    pub fn new(work_dir: &Path) -> Self {
        Self {
            dir: work_dir.join("cache"),
            limit: limit(),
            pending: Mutex::default(),
        }
    }

    #[cfg(test)]
    fn with_limit(work_dir: &Path, limit: u64) -> Self {
        Self {
            dir: work_dir.join("cache"),
            limit,
            pending: Mutex::default(),
        }
    }

    fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// The binary stored under `key`, linked (or copied) to `binary`, and the exercise crate's
    /// warnings; `None` on a miss (a stale or damaged entry is removed).
    pub fn lookup(&self, key: &str, binary: &Path, course_root: &Path) -> Option<Vec<Diagnostic>> {
        if !self.enabled() {
            return None;
        }
        let folder = self.dir.join(key);
        let entry = std::fs::read(folder.join(ENTRY))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok());
        let Some(entry) = entry else {
            // Absent, or half written by a process that died: either way, not trusted.
            let _ = std::fs::remove_dir_all(&folder);
            return None;
        };
        let stored = folder.join(BINARY);
        let intact = entry.key == key
            && std::fs::metadata(&stored).is_ok_and(|m| m.len() == entry.binary_len)
            && std::fs::read(&stored).is_ok_and(|bytes| checksum(&bytes) == entry.binary_checksum);
        if !intact {
            let _ = std::fs::remove_dir_all(&folder);
            return None;
        }
        let unchanged = entry
            .sources
            .iter()
            .all(|(path, id)| content_id(&course_root.join(path)) == *id)
            && entry
                .environment
                .iter()
                .all(|(name, value)| std::env::var(name).ok() == *value);
        if !unchanged {
            return None;
        }
        let _ = std::fs::remove_file(binary);
        if std::fs::hard_link(&stored, binary).is_err() && std::fs::copy(&stored, binary).is_err() {
            return None;
        }
        // Used now: pruning removes it last.
        let _ =
            std::fs::File::open(folder.join(ENTRY)).and_then(|f| f.set_modified(SystemTime::now()));
        Some(entry.warnings.into_iter().map(Into::into).collect())
    }

    /// Stores `binary` under `key`, with the sources listed in the dep-info files `dep_info`
    /// (rustc's, relative to `course_root` or absolute), then prunes the cache to its bound.
    /// A `fixture`'s entry is pruned before any other.
    #[cfg(test)]
    pub fn insert(&self, new: NewEntry<'_>) -> Result<()> {
        match self.stage(new)? {
            Some(staged) => staged.commit(),
            None => Ok(()),
        }
    }

    /// Stores `new` like [`insert`](Self::insert), but only what must happen before the grade's
    /// folder goes (linking its binary aside, reading its dep-info and sources) happens now;
    /// the checksum, the record and the pruning happen on a thread of their own, off the
    /// verdict's path. Dropping the cache waits for them.
    pub fn insert_in_background(&self, new: NewEntry<'_>) -> Result<()> {
        let Some(staged) = self.stage(new)? else {
            return Ok(());
        };
        let worker = std::thread::Builder::new()
            .name("grade-cache".into())
            .spawn(move || {
                // A cache that cannot be written (a full disk) only costs a later grade time.
                let _ = staged.commit();
            })
            .context("cannot start the grade cache's thread")?;
        let mut pending = self.pending.lock().expect("no panic holding the lock");
        pending.retain(|worker| !worker.is_finished());
        pending.push(worker);
        Ok(())
    }

    /// What must be read while the grade's folder still exists: the binary, linked (or
    /// copied) into a staging folder of this insert's own, and the sources by content, read
    /// as soon after the compile as possible.
    fn stage(&self, new: NewEntry<'_>) -> Result<Option<Staged>> {
        if !self.enabled() {
            return Ok(None);
        }
        let mut sources = Vec::new();
        let mut environment = Vec::new();
        for file in new.dep_info {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let listed = parse_dep_info(&text);
            for path in listed.sources {
                let id = content_id(&new.course_root.join(&path));
                sources.push((path, id));
            }
            environment.extend(listed.environment);
        }
        sources.sort();
        sources.dedup();
        // One name per insert, not per process: `verify` and `dev check` insert from several
        // threads at once, and a shared folder would mix one grade's binary into another's entry.
        static INSERTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let partial = self.dir.join(format!(
            ".partial-{}-{}",
            std::process::id(),
            INSERTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let stored = partial.join(BINARY);
        if std::fs::hard_link(new.binary, &stored).is_err() {
            std::fs::copy(new.binary, &stored)
                .with_context(|| format!("cannot copy {}", new.binary.display()))?;
        }
        if new.fixture {
            std::fs::write(partial.join(FIXTURE), "")
                .with_context(|| format!("cannot write in {}", partial.display()))?;
        }
        Ok(Some(Staged {
            dir: self.dir.clone(),
            limit: self.limit,
            partial,
            key: new.key.to_owned(),
            sources,
            environment,
            warnings: new.warnings.iter().map(CachedDiagnostic::from).collect(),
        }))
    }
}

/// Removes the entries of the cache in `dir` used longest ago until the binaries fit in
/// `limit` bytes, and partial entries left by processes that died.
fn prune(dir: &Path, limit: u64) {
    let Ok(folders) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries = Vec::new();
    for folder in folders.flatten() {
        let path = folder.path();
        if folder
            .file_name()
            .to_string_lossy()
            .starts_with(".partial-")
        {
            let stale = folder
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(3600));
            if stale {
                let _ = std::fs::remove_dir_all(&path);
            }
            continue;
        }
        let used = std::fs::metadata(path.join(ENTRY)).and_then(|m| m.modified());
        let size = std::fs::metadata(path.join(BINARY)).map_or(0, |m| m.len());
        let fixture = path.join(FIXTURE).exists();
        entries.push((
            fixture,
            std::cmp::Reverse(used.unwrap_or(SystemTime::UNIX_EPOCH)),
            size,
            path,
        ));
    }
    // Kept first: the others, then fixtures; each the most recently used first.
    entries.sort_by_key(|e| (e.0, e.1));
    let mut total = 0;
    for (_, _, size, path) in entries {
        total += size;
        if total > limit {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// What [`GradeCache::insert`] stores.
pub struct NewEntry<'a> {
    pub key: &'a str,
    /// The test binary (in the grade's folder).
    pub binary: &'a Path,
    /// rustc's dep-info files of the two crates.
    pub dep_info: &'a [&'a Path],
    pub course_root: &'a Path,
    /// The exercise crate's warnings.
    pub warnings: &'a [Diagnostic],
    /// A wrong or right fix, or a cheat: pruned first.
    pub fixture: bool,
}

/// An entry whose binary and sources are in its staging folder, not yet in the cache.
struct Staged {
    /// The cache's folder and bound.
    dir: PathBuf,
    limit: u64,
    partial: PathBuf,
    key: String,
    sources: Vec<(PathBuf, String)>,
    environment: Vec<(String, Option<String>)>,
    warnings: Vec<CachedDiagnostic>,
}

impl Staged {
    /// Records the binary's length and checksum, renames the staging folder into place whole,
    /// and prunes the cache.
    fn commit(self) -> Result<()> {
        let stored = self.partial.join(BINARY);
        let bytes =
            std::fs::read(&stored).with_context(|| format!("cannot read {}", stored.display()))?;
        let entry = Entry {
            key: self.key,
            binary_len: bytes.len() as u64,
            binary_checksum: checksum(&bytes),
            sources: self.sources,
            environment: self.environment,
            warnings: self.warnings,
        };
        // Written plainly, not synced: the folder becomes an entry only by the rename below,
        // and an entry a crash left damaged fails its checks at the next lookup and is rebuilt.
        let record = self.partial.join(ENTRY);
        std::fs::write(&record, serde_json::to_vec(&entry)?)
            .with_context(|| format!("cannot write {}", record.display()))?;
        let folder = self.dir.join(&entry.key);
        let _ = std::fs::remove_dir_all(&folder);
        if std::fs::rename(&self.partial, &folder).is_err() {
            // Another process stored the same key meanwhile: theirs will do.
            let _ = std::fs::remove_dir_all(&self.partial);
        }
        prune(&self.dir, self.limit);
        Ok(())
    }
}

impl Drop for GradeCache {
    /// Waits for the entries still being stored, so a process that exits right after its
    /// verdict still leaves them in the cache.
    fn drop(&mut self) {
        let pending = std::mem::take(self.pending.get_mut().expect("no panic holding the lock"));
        for worker in pending {
            let _ = worker.join();
        }
    }
}

/// The bound in bytes.
fn limit() -> u64 {
    let mb = std::env::var("ASYNCLINGS_GRADE_CACHE_MB")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_LIMIT_MB);
    mb * 1024 * 1024
}

fn sha1(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// A binary's checksum: XXH3-128, in hex.
fn checksum(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// A source file's content, by SHA-1: the sources can be the learner's (`include_str!`), and
/// SHA-1 makes a file forged to look unchanged impractical, which a fast checksum does not.
fn content_id(path: &Path) -> String {
    std::fs::read(path).map_or_else(|_| "missing".to_owned(), |bytes| sha1(&bytes))
}

/// What a dep-info file lists.
#[derive(Debug, Default, PartialEq)]
struct DepInfo {
    sources: Vec<PathBuf>,
    environment: Vec<(String, Option<String>)>,
}

/// Reads rustc's dep-info (Makefile rules: `target: deps…`, then one `dep:` line per source;
/// spaces in paths escaped with `\`; `# env-dep:NAME=value` for `env!`).
fn parse_dep_info(text: &str) -> DepInfo {
    let mut info = DepInfo::default();
    for line in text.lines() {
        if let Some(variable) = line.strip_prefix("# env-dep:") {
            let (name, value) = match variable.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (variable, None),
            };
            info.environment.push((name.to_owned(), value));
        } else if let Some(path) = line.strip_suffix(':')
            && !path.is_empty()
            && !line.starts_with('#')
        {
            info.sources.push(PathBuf::from(path.replace("\\ ", " ")));
        }
    }
    info
}

impl From<&Diagnostic> for CachedDiagnostic {
    fn from(d: &Diagnostic) -> Self {
        Self {
            level: d.level.clone(),
            message: d.message.clone(),
            code: d.code.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            rendered: d.rendered.clone(),
        }
    }
}

impl From<CachedDiagnostic> for Diagnostic {
    fn from(d: CachedDiagnostic) -> Self {
        Self {
            level: d.level,
            message: d.message,
            code: d.code,
            file: d.file,
            line: d.line,
            column: d.column,
            rendered: d.rendered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Setup {
        dir: tempfile::TempDir,
    }

    impl Setup {
        fn new() -> Self {
            let setup = Self {
                dir: tempfile::tempdir().unwrap(),
            };
            setup.write("exercises/a.rs", "pub fn a() {}");
            setup.write("grade", "the binary");
            setup.write(
                "grade.d",
                "grade: exercises/a.rs\n\nexercises/a.rs:\n\n# env-dep:ASYNCLINGS_CACHE_TEST_UNSET\n",
            );
            setup
        }
        fn path(&self, relative: &str) -> PathBuf {
            self.dir.path().join(relative)
        }
        fn write(&self, relative: &str, text: &str) {
            let path = self.path(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        fn cache(&self, limit: u64) -> GradeCache {
            GradeCache::with_limit(&self.path("work"), limit)
        }
        fn insert(&self, cache: &GradeCache, key: &str) {
            self.insert_kind(cache, key, false);
        }
        fn insert_kind(&self, cache: &GradeCache, key: &str, fixture: bool) {
            cache
                .insert(NewEntry {
                    key,
                    binary: &self.path("grade"),
                    dep_info: &[&self.path("grade.d")],
                    course_root: self.dir.path(),
                    warnings: &[Diagnostic::located("exercises/a.rs", "unused".into())],
                    fixture,
                })
                .unwrap();
        }
        fn lookup(&self, cache: &GradeCache, key: &str) -> Option<Vec<Diagnostic>> {
            cache.lookup(key, &self.path("out"), self.dir.path())
        }
    }

    #[test]
    fn a_stored_binary_is_found_with_its_warnings() {
        let setup = Setup::new();
        let cache = setup.cache(1 << 20);
        assert!(setup.lookup(&cache, "k").is_none());
        setup.insert(&cache, "k");
        let warnings = setup.lookup(&cache, "k").expect("a hit");
        assert_eq!(warnings[0].message, "unused");
        assert_eq!(
            std::fs::read_to_string(setup.path("out")).unwrap(),
            "the binary"
        );
    }

    #[test]
    fn threads_storing_at_once_each_keep_their_own_binary() {
        let setup = Setup::new();
        let cache = setup.cache(1 << 30);
        for n in 0..8 {
            setup.write(&format!("grade{n}"), &format!("binary {n}"));
        }
        std::thread::scope(|scope| {
            for n in 0..8 {
                let (setup, cache) = (&setup, &cache);
                scope.spawn(move || {
                    for round in 0..20 {
                        cache
                            .insert(NewEntry {
                                key: &format!("k{n}-{round}"),
                                binary: &setup.path(&format!("grade{n}")),
                                dep_info: &[&setup.path("grade.d")],
                                course_root: setup.dir.path(),
                                warnings: &[],
                                fixture: false,
                            })
                            .unwrap();
                    }
                });
            }
        });
        for n in 0..8 {
            for round in 0..20 {
                let out = setup.path(&format!("out{n}"));
                if cache
                    .lookup(&format!("k{n}-{round}"), &out, setup.dir.path())
                    .is_some()
                {
                    assert_eq!(
                        std::fs::read_to_string(&out).unwrap(),
                        format!("binary {n}")
                    );
                } else {
                    panic!("entry k{n}-{round} was lost");
                }
            }
        }
    }

    #[test]
    fn a_changed_source_misses() {
        let setup = Setup::new();
        let cache = setup.cache(1 << 20);
        setup.insert(&cache, "k");
        // The same key (say, a module the key does not hash) with other content: rebuilt.
        setup.write("exercises/a.rs", "pub fn a() { todo!() }");
        assert!(setup.lookup(&cache, "k").is_none());
        setup.write("exercises/a.rs", "pub fn a() {}");
        assert!(
            setup.lookup(&cache, "k").is_some(),
            "same content, same binary"
        );
    }

    #[test]
    fn a_corrupt_or_partial_entry_is_removed_never_used() {
        let setup = Setup::new();
        let cache = setup.cache(1 << 20);
        setup.insert(&cache, "k");
        let stored = setup.path("work/cache/k/grade");
        // Same length, other bytes.
        std::fs::remove_file(&stored).unwrap();
        std::fs::write(&stored, "the binarY").unwrap();
        assert!(setup.lookup(&cache, "k").is_none());
        assert!(!setup.path("work/cache/k").exists());

        setup.insert(&cache, "k");
        std::fs::write(setup.path("work/cache/k/entry.json"), "{\"key\":").unwrap();
        assert!(setup.lookup(&cache, "k").is_none());
        assert!(!setup.path("work/cache/k").exists());

        setup.insert(&cache, "k");
        std::fs::remove_file(setup.path("work/cache/k/grade")).unwrap();
        assert!(setup.lookup(&cache, "k").is_none());
    }

    #[test]
    fn an_entry_under_another_key_is_not_trusted() {
        let setup = Setup::new();
        let cache = setup.cache(1 << 20);
        setup.insert(&cache, "k");
        std::fs::rename(setup.path("work/cache/k"), setup.path("work/cache/j")).unwrap();
        assert!(setup.lookup(&cache, "j").is_none());
    }

    #[test]
    fn the_cache_keeps_the_entries_used_last_within_its_bound() {
        let setup = Setup::new();
        // Room for two binaries of 10 bytes.
        let cache = setup.cache(25);
        setup.insert(&cache, "a");
        setup.insert(&cache, "b");
        let old = SystemTime::now() - Duration::from_secs(60);
        for key in ["a", "b"] {
            std::fs::File::open(setup.path(&format!("work/cache/{key}/entry.json")))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        // `a` is used again, so `b` is the oldest when `c` comes.
        assert!(setup.lookup(&cache, "a").is_some());
        setup.insert(&cache, "c");
        assert!(setup.path("work/cache/a").exists());
        assert!(!setup.path("work/cache/b").exists());
        assert!(setup.path("work/cache/c").exists());
    }

    #[test]
    fn fixtures_never_push_out_solutions_or_the_learners_files() {
        let setup = Setup::new();
        // Room for two binaries of 10 bytes.
        let cache = setup.cache(25);
        setup.insert(&cache, "solution");
        setup.insert_kind(&cache, "fixture1", true);
        // Timestamps are coarse: make the order explicit.
        std::fs::File::open(setup.path("work/cache/fixture1/entry.json"))
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        setup.insert_kind(&cache, "fixture2", true);
        assert!(setup.path("work/cache/solution").exists());
        assert!(!setup.path("work/cache/fixture1").exists());
        assert!(setup.path("work/cache/fixture2").exists());
        setup.insert(&cache, "exercise");
        assert!(setup.path("work/cache/solution").exists());
        assert!(setup.path("work/cache/exercise").exists());
        assert!(!setup.path("work/cache/fixture2").exists());
    }

    #[test]
    fn a_cache_bound_of_zero_stores_nothing() {
        let setup = Setup::new();
        let cache = setup.cache(0);
        setup.insert(&cache, "k");
        assert!(!setup.path("work/cache").exists());
        assert!(setup.lookup(&cache, "k").is_none());
    }

    #[test]
    fn keys_differ_by_every_part_and_parts_cannot_run_together() {
        let key = |parts: &[&str]| {
            let mut builder = KeyBuilder::default();
            for part in parts {
                builder.part(part.as_bytes());
            }
            builder.finish()
        };
        assert_eq!(key(&["a", "b"]), key(&["a", "b"]));
        assert_ne!(key(&["a", "b"]), key(&["a", "c"]));
        assert_ne!(key(&["ab", ""]), key(&["a", "b"]));
    }

    #[test]
    fn dep_info_lists_sources_and_environment() {
        let info = parse_dep_info(
            "/w/grade: root.rs /c/tests/a\\ b.rs\n\nroot.rs:\n/c/tests/a\\ b.rs:\n\n# env-dep:X=1\n# env-dep:Y\n",
        );
        assert_eq!(
            info.sources,
            vec![PathBuf::from("root.rs"), PathBuf::from("/c/tests/a b.rs")]
        );
        assert_eq!(
            info.environment,
            vec![("X".into(), Some("1".into())), ("Y".into(), None)]
        );
    }
}
