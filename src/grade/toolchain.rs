//! The compiled dependencies exercises are graded against, and how to reach them from `rustc`.
//!
//! The course's dependency manifest (`course/Cargo.toml`) is built once with cargo; every
//! direct dependency's artifact becomes an `--extern` for the direct `rustc` call of a grade.
//! The result is cached in `target/asynclings/toolchain.json` together with a fingerprint of
//! what could invalidate it (Cargo.lock, the local packages' sources, the compiler), so a grade
//! normally costs a few `stat` calls here and never rebuilds a dependency.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result, bail};
use cargo_metadata::{DependencyKind, Message, MetadataCommand, Package, PackageId};
use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomically;
use crate::course::Course;

const CACHE_FILE: &str = "toolchain.json";
/// Beside the dependencies' artifacts: shared while a grade compiles against them, exclusive
/// while cargo builds them. Cargo rewrites an rlib in place, and a rustc linking against it at
/// that moment (another asynclings process) would fail. Two courses can share artifacts: cargo
/// names a workspace's path packages by their path relative to the workspace, so two copies of
/// one course that share a `CARGO_TARGET_DIR` write the same files.
const DEPS_LOCK: &str = ".asynclings-deps.lock";

#[derive(Debug, Serialize, Deserialize)]
pub struct Toolchain {
    pub rustc: PathBuf,
    pub clippy_driver: PathBuf,
    pub rustfmt: PathBuf,
    pub edition: String,
    /// Where the dependencies' own dependencies are (`-L dependency=`).
    pub deps_dir: PathBuf,
    pub externs: Vec<Extern>,
    /// Source folders of the local packages the course builds (the grading helpers).
    pub local_sources: Vec<PathBuf>,
    watched_files: Vec<PathBuf>,
    fingerprint: Vec<Stamp>,
    /// How test binaries reach the dependencies' code.
    pub linking: Linking,
}

/// How a test binary links the course's dependencies.
#[derive(Debug, Serialize, Deserialize)]
pub enum Linking {
    /// One shared library of all of them (built once per toolchain), and std's shared library:
    /// a test binary is a third of the size and links in about three quarters of the time.
    /// The binary finds both through its rpath, so no environment variable is needed.
    Dynamic {
        /// `libasynclings_deps.so`.
        library: PathBuf,
        /// The compiler's library folder, with std's shared library.
        std_dir: PathBuf,
    },
    /// Everything linked into each binary (when the shared library could not be built: why).
    Static { reason: String },
}

/// The crate name of the dependencies' shared library.
pub const DEPS_LIBRARY: &str = "asynclings_deps";

#[derive(Debug, Serialize, Deserialize)]
pub struct Extern {
    pub name: String,
    pub path: PathBuf,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    modified_ns: u128,
    len: u64,
}

impl Toolchain {
    /// The toolchain for `course`, built or rebuilt only when something it depends on changed.
    /// `announce` is told when a (slow) build starts.
    pub fn prepare(course: &Course, announce: &dyn Fn(&str)) -> Result<Self> {
        let cache = course.work_dir().join(CACHE_FILE);
        let cached = std::fs::read(&cache)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok());
        if let Some(toolchain) = cached {
            if toolchain.is_fresh() {
                return Ok(toolchain);
            }
            announce("the course's dependencies changed: rebuilding them");
        } else {
            announce(
                "building the exercises' dependencies (tokio, rayon, futures…): only the first grade does this",
            );
        }
        // Folders of earlier versions' layout: a test binary and a cache per graded file.
        for legacy in ["bin", "lib", "roots", "scratch"] {
            let _ = std::fs::remove_dir_all(course.work_dir().join(legacy));
        }
        super::compile::prune_incremental(&course.work_dir(), super::compile::KEPT_INCREMENTAL);
        let toolchain = build(course)?;
        if let Linking::Static { reason } = &toolchain.linking {
            announce(&format!(
                "test binaries link every dependency in (slower): their shared library could not be built: {reason}"
            ));
        }
        std::fs::create_dir_all(course.work_dir())
            .with_context(|| format!("cannot create {}", course.work_dir().display()))?;
        write_atomically(&cache, &serde_json::to_vec_pretty(&toolchain)?)?;
        Ok(toolchain)
    }

    /// Held while compiling against the dependencies, so no rebuild rewrites them meanwhile.
    pub fn lock_for_compile(&self) -> Result<std::fs::File> {
        lock_deps(&self.deps_dir, false)
    }

    fn is_fresh(&self) -> bool {
        let library_present = match &self.linking {
            Linking::Dynamic { library, .. } => library.is_file(),
            Linking::Static { .. } => true,
        };
        library_present
            && self.externs.iter().all(|e| e.path.is_file())
            && fingerprint(&self.watched_files, &self.local_sources) == self.fingerprint
    }
}

fn lock_deps(deps_dir: &Path, exclusive: bool) -> Result<std::fs::File> {
    let path = deps_dir.join(DEPS_LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if exclusive {
        file.lock()
    } else {
        file.lock_shared()
    }
    .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

fn build(course: &Course) -> Result<Toolchain> {
    let manifest = &course.dependencies_manifest;
    if !manifest.is_file() {
        bail!(
            "the course's dependency manifest {} does not exist (info.toml `dependencies`)",
            manifest.display()
        );
    }
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", manifest.display()))?;
    let bin = sysroot(&course.root)?.join("bin");
    let tool = |name: &str| {
        let path = bin.join(name);
        if path.is_file() {
            path
        } else {
            PathBuf::from(name)
        }
    };
    let metadata = MetadataCommand::new()
        .manifest_path(&manifest)
        .current_dir(&course.root)
        .exec()
        .with_context(|| format!("cargo metadata failed for {}", manifest.display()))?;
    let package = metadata
        .packages
        .iter()
        .find(|p| p.manifest_path.as_std_path() == manifest)
        .with_context(|| format!("{} defines no package", manifest.display()))?;
    let resolve = metadata
        .resolve
        .as_ref()
        .context("cargo metadata returned no dependency graph")?;
    let nodes: HashMap<&PackageId, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let packages: HashMap<&PackageId, &Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    let is_normal = |kinds: &[cargo_metadata::DepKindInfo]| {
        kinds.iter().any(|k| k.kind == DependencyKind::Normal)
    };

    let direct: Vec<(String, PackageId)> = nodes[&package.id]
        .deps
        .iter()
        .filter(|d| is_normal(&d.dep_kinds))
        .map(|d| (d.name.clone(), d.pkg.clone()))
        .collect();

    // Local packages reachable from the course (itself, the grading helpers...): their sources
    // invalidate the build when edited.
    let mut local = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([&package.id]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        let member = packages[id];
        if member.source.is_none() {
            local.push(member);
        }
        queue.extend(
            nodes[id]
                .deps
                .iter()
                .filter(|d| is_normal(&d.dep_kinds))
                .map(|d| &d.pkg),
        );
    }
    let local_sources: Vec<PathBuf> = local
        .iter()
        .filter_map(|p| p.targets.iter().find(|t| t.is_lib()))
        .filter_map(|t| t.src_path.parent().map(|dir| dir.as_std_path().to_owned()))
        .collect();
    let mut watched_files: Vec<PathBuf> = local
        .iter()
        .map(|p| p.manifest_path.as_std_path().to_owned())
        .collect();
    watched_files.push(metadata.workspace_root.as_std_path().join("Cargo.lock"));
    watched_files.push(tool("rustc"));

    // The dev profile's output folder; the lock has to exist before the first build does.
    let deps_dir = metadata
        .target_directory
        .as_std_path()
        .join("debug")
        .join("deps");
    std::fs::create_dir_all(&deps_dir)
        .with_context(|| format!("cannot create {}", deps_dir.display()))?;
    let building = lock_deps(&deps_dir, true)?;
    let artifacts = cargo_build(&manifest, package.name.as_str(), &course.root)?;
    drop(building);
    let mut externs = Vec::new();
    for (name, id) in &direct {
        let files = artifacts
            .get(id)
            .with_context(|| format!("cargo built no artifact for `{name}`"))?;
        let path = files
            .iter()
            .find(|f| {
                matches!(
                    f.extension().and_then(|e| e.to_str()),
                    Some("rlib" | "so" | "dylib" | "dll")
                )
            })
            .with_context(|| format!("no library file among {files:?} for `{name}`"))?;
        externs.push(Extern {
            name: name.clone(),
            path: path.clone(),
        });
    }
    if externs.is_empty() {
        bail!(
            "{} has no dependencies for exercises to use",
            manifest.display()
        );
    }
    let mut toolchain = Toolchain {
        rustc: tool("rustc"),
        clippy_driver: tool("clippy-driver"),
        rustfmt: tool("rustfmt"),
        edition: package.edition.as_str().to_owned(),
        deps_dir,
        externs,
        fingerprint: fingerprint(&watched_files, &local_sources),
        local_sources,
        watched_files,
        linking: Linking::Static {
            reason: "not built yet".into(),
        },
    };
    toolchain.linking = match build_deps_library(course, &toolchain) {
        Ok(linking) => linking,
        Err(error) => Linking::Static {
            reason: format!("{error:#}"),
        },
    };
    Ok(toolchain)
}

/// How many builds of the dependencies' shared library are kept beside the dependencies.
const KEPT_LIBRARIES: usize = 4;

/// Builds the shared library of the course's dependencies beside them (`<target>/debug/
/// asynclings-deps/<id>/`), in a folder named by everything that went into it: courses that
/// share compiled dependencies (copies of one course, the test suite's fixture courses) share
/// the library too. The [`KEPT_LIBRARIES`] used last are kept.
fn build_deps_library(course: &Course, toolchain: &Toolchain) -> Result<Linking> {
    let std_dir = PathBuf::from(
        super::compile::output_of(
            Command::new(&toolchain.rustc).args(["--print", "target-libdir"]),
            &course.root,
        )?
        .trim(),
    );
    let linked: Vec<&Extern> = toolchain
        .externs
        .iter()
        .filter(|e| e.path.extension().is_some_and(|x| x == "rlib"))
        .collect();
    let mut source = String::from(
        "// Generated by asynclings: the course's dependencies as one shared library.\n",
    );
    for dependency in &linked {
        source.push_str(&format!("pub extern crate {};\n", dependency.name));
    }
    // Everything the library's content depends on, so its folder's name can stand for it (in
    // the grade cache's keys, say). The number changes with how it is built.
    let identity = format!(
        "2\n{source}{:?}{:?}{:?}",
        toolchain.fingerprint, toolchain.externs, toolchain.rustc
    );
    let parent = toolchain
        .deps_dir
        .parent()
        .unwrap_or(&toolchain.deps_dir)
        .join("asynclings-deps");
    let folder = parent.join(&crate::seal::blob_id(identity.as_bytes())[..16]);
    let library = folder.join(format!("lib{DEPS_LIBRARY}.so"));
    if !library.is_file() {
        // Built aside, then moved into place whole (the library's own name is its soname, so
        // it cannot be renamed).
        let aside = parent.join(format!(".partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&aside);
        std::fs::create_dir_all(&aside)
            .with_context(|| format!("cannot create {}", aside.display()))?;
        let root = aside.join("lib.rs");
        std::fs::write(&root, &source)
            .with_context(|| format!("cannot write {}", root.display()))?;
        let partial = aside.join(format!("lib{DEPS_LIBRARY}.so"));
        let mut command = Command::new(&toolchain.rustc);
        command
            .args(["--edition", &toolchain.edition])
            .args(["--crate-type", "dylib", "--crate-name", DEPS_LIBRARY])
            .args(["-C", "prefer-dynamic", "-C", "debuginfo=0"])
            .args(["-C", "symbol-mangling-version=v0"])
            .arg("-L")
            .arg(format!("dependency={}", toolchain.deps_dir.display()))
            .arg(&root)
            .arg("-o")
            .arg(&partial);
        for dependency in &linked {
            command.arg("--extern").arg(format!(
                "{}={}",
                dependency.name,
                dependency.path.display()
            ));
        }
        super::compile::output_of(&mut command, &course.root)?;
        if std::fs::rename(&aside, &folder).is_err() {
            // Another course sharing these dependencies built it meanwhile.
            let _ = std::fs::remove_dir_all(&aside);
            if !library.is_file() {
                bail!("cannot move {} into place", aside.display());
            }
        }
    }
    // Marks it used last, then keeps only the libraries used last.
    let _ = std::fs::File::open(&folder).and_then(|f| f.set_modified(std::time::SystemTime::now()));
    let mut builds: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    builds.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (_, old) in builds.into_iter().skip(KEPT_LIBRARIES) {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(Linking::Dynamic { library, std_dir })
}

/// The real compiler's sysroot: calling `<sysroot>/bin/rustc` skips the rustup proxy, which
/// costs tens of milliseconds per grade.
fn sysroot(course_root: &Path) -> Result<PathBuf> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(course_root)
        .output()
        .context("cannot run rustc: is Rust installed (https://rustup.rs)?")?;
    if !output.status.success() {
        bail!(
            "rustc --print sysroot failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

/// Builds the course package's library; cargo's progress goes straight to the terminal, so
/// the first (slow) build never looks frozen.
fn cargo_build(
    manifest: &Path,
    package: &str,
    course_root: &Path,
) -> Result<HashMap<PackageId, Vec<PathBuf>>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    // SAFETY: getpid has no preconditions; the hook makes raw system calls only. Cargo stops
    // (and with it the build) when asynclings dies.
    let parent = unsafe { libc::getpid() };
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            super::execute::die_with(parent, libc::SIGTERM)
        })
    };
    let mut child = command
        .args([
            "build",
            "--lib",
            "--message-format=json-render-diagnostics",
            "-p",
            package,
            "--manifest-path",
        ])
        .arg(manifest)
        .current_dir(course_root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot run cargo")?;
    let mut artifacts = HashMap::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    for message in Message::parse_stream(BufReader::new(stdout)) {
        if let Message::CompilerArtifact(artifact) =
            message.context("cannot read cargo's output")?
        {
            let files = artifact
                .filenames
                .into_iter()
                .map(|f| f.into_std_path_buf())
                .collect();
            artifacts.insert(artifact.package_id, files);
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    if !status.success() {
        bail!("building the course's dependencies failed (cargo's messages are above)");
    }
    Ok(artifacts)
}

/// Size and modification time of every watched file and of every file under the source
/// folders (so an added or edited helper file counts).
fn fingerprint(files: &[PathBuf], folders: &[PathBuf]) -> Vec<Stamp> {
    let mut paths: Vec<PathBuf> = files.to_vec();
    for folder in folders {
        collect_files(folder, &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            Stamp {
                modified_ns: meta
                    .as_ref()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos()),
                len: meta.map_or(0, |m| m.len()),
                path,
            }
        })
        .collect()
}

/// Every file below `folder`, skipping build output and hidden folders.
pub fn collect_files(folder: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                collect_files(&path, into);
            }
        } else {
            into.push(path);
        }
    }
}
