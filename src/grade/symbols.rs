//! What the graded file's compiled code may contain. The exercise is its own crate, so every
//! symbol it defines is named inside its crate (v0 mangling: `_R…8exercise…`). A symbol
//! outside that namespace (`#[no_mangle]`, `#[export_name]`, `global_asm!`) could take the
//! place of a C library function or another crate's function for the whole test binary:
//! an `exit` that reports success, a `write` that rewrites libtest's output. Code placed in
//! `.init_array` and its kin runs before `main` (or after it), outside any check. A grade
//! refuses both before running anything.

use std::path::Path;

use anyhow::{Context, Result};
use object::read::archive::ArchiveFile;
use object::{Object, ObjectSection, ObjectSymbol, SymbolFlags, SymbolKind};

/// The crate name the graded file is compiled under.
pub const CRATE: &str = "exercise";
/// Unmangled symbols the compiler itself emits in every crate that can unwind (LLVM's
/// reference to the personality routine, shared by all crates of a binary).
const COMPILER_MADE: &[&str] = &["DW.ref.rust_eh_personality"];

/// One defined, non-local symbol of the compiled exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub name: String,
    /// Resolved by code that runs while the program loads (an ifunc).
    pub load_time_resolver: bool,
}

/// Why the compiled exercise at `rlib` must not be linked into a test binary; empty when it is
/// fine.
pub fn problems_in(rlib: &Path) -> Result<Vec<String>> {
    let data = std::fs::read(rlib).with_context(|| format!("cannot read {}", rlib.display()))?;
    let archive =
        ArchiveFile::parse(&*data).with_context(|| format!("{} is not an rlib", rlib.display()))?;
    let mut exported = Vec::new();
    let mut sections = Vec::new();
    for member in archive.members() {
        let member = member.with_context(|| format!("cannot read {}", rlib.display()))?;
        if !member.name().ends_with(b".o") {
            continue;
        }
        let bytes = member
            .data(&*data)
            .with_context(|| format!("cannot read {}", rlib.display()))?;
        let file = object::File::parse(bytes)
            .with_context(|| format!("cannot read an object file in {}", rlib.display()))?;
        sections.extend(
            file.sections()
                .filter_map(|s| s.name().ok().map(str::to_owned)),
        );
        exported.extend(
            file.symbols()
                .filter(|s| s.is_definition() && !s.is_local())
                .filter(|s| !matches!(s.kind(), SymbolKind::Section | SymbolKind::File))
                .filter_map(|s| {
                    let ifunc = matches!(s.flags(), SymbolFlags::Elf { st_info, .. } if st_info.st_type() == object::elf::STT_GNU_IFUNC);
                    Some(Exported {
                        name: s.name().ok()?.to_owned(),
                        load_time_resolver: ifunc,
                    })
                }),
        );
    }
    Ok(problems(&exported, &sections))
}

/// The rules, on what the object files define.
pub fn problems(exported: &[Exported], sections: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut foreign: Vec<&str> = exported
        .iter()
        .filter(|s| !in_own_namespace(&s.name) && !COMPILER_MADE.contains(&s.name.as_str()))
        .map(|s| s.name.as_str())
        .collect();
    foreign.sort_unstable();
    foreign.dedup();
    if !foreign.is_empty() {
        let shown: Vec<String> = foreign.iter().take(5).map(|n| format!("`{n}`")).collect();
        problems.push(format!(
            "defines {} outside Rust's own names (`#[no_mangle]`, `#[export_name]` or `global_asm!`): such a symbol can replace a C library function or another crate's function for the hidden tests too, so the grade refuses it. Give the item an ordinary Rust name",
            list(&shown, foreign.len())
        ));
    }
    if exported.iter().any(|s| s.load_time_resolver) {
        problems.push(
            "defines an indirect function (`gnu_indirect_function`), whose resolver runs while the program loads, before any check: the grade refuses it"
                .into(),
        );
    }
    let mut startup: Vec<&str> = sections
        .iter()
        .map(String::as_str)
        .filter(|s| runs_outside_main(s))
        .collect();
    startup.sort_unstable();
    startup.dedup();
    if !startup.is_empty() {
        let shown: Vec<String> = startup.iter().map(|s| format!("`{s}`")).collect();
        problems.push(format!(
            "puts code in {}, which runs before or after `main`, outside any check (a `#[link_section]` constructor?): the grade refuses it. Do the work in the functions the exercise asks for",
            list(&shown, startup.len())
        ));
    }
    problems
}

fn list(shown: &[String], total: usize) -> String {
    let mut text = shown.join(", ");
    if total > shown.len() {
        text.push_str(&format!(" and {} more", total - shown.len()));
    }
    text
}

/// A v0-mangled name that belongs to the exercise crate (its own items, and its instances of
/// other crates' generic functions, which v0 names with the instantiating crate).
fn in_own_namespace(symbol: &str) -> bool {
    let tag = format!("{}{CRATE}", CRATE.len());
    symbol.starts_with("_R")
        && symbol.match_indices(&tag).any(|(at, _)| {
            // A crate root is `C`, an optional disambiguator `s<base62>_`, then the name.
            let before = &symbol[..at];
            before.ends_with('C')
                || before
                    .strip_suffix('_')
                    .and_then(|b| b.rfind("Cs"))
                    .is_some_and(|cs| {
                        symbol[cs + 2..at - 1]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric())
                    })
        })
}

/// Sections whose code the loader or libc runs around `main`.
fn runs_outside_main(section: &str) -> bool {
    [
        ".init_array",
        ".preinit_array",
        ".fini_array",
        ".ctors",
        ".dtors",
    ]
    .iter()
    .any(|prefix| section == *prefix || section.starts_with(&format!("{prefix}.")))
        || section == ".init"
        || section == ".fini"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(name: &str) -> Exported {
        Exported {
            name: name.into(),
            load_time_resolver: false,
        }
    }

    #[test]
    fn the_exercises_own_symbols_are_fine() {
        let own = [
            symbol("_RNvCshf1V785r3yY_8exercise12count_unread"),
            symbol(
                "_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeNCNvCshf1V785r3yY_8exercise12count_unread0EBK_",
            ),
            symbol(
                "_RINvMs2_NtCsgEmfK2I1SDS_4core3fmtNtB6_9Arguments3newKj30_Kj2_ECshf1V785r3yY_8exercise",
            ),
        ];
        assert_eq!(
            problems(&own, &[".text".into(), ".eh_frame".into()]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn symbols_outside_the_crate_are_refused() {
        let found = problems(
            &[
                symbol("exit"),
                symbol("_RNvNtCsABC_3std7process4exit"),
                symbol("_ZN8exercise4exit17h0123456789abcdefE"),
            ],
            &[],
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("defines `_RNvNtCsABC_3std7process4exit`, `_ZN8exercise4exit17h0123456789abcdefE`, `exit` outside Rust's own names"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_name_that_only_mentions_the_crate_is_not_in_it() {
        assert!(!in_own_namespace("_RNvNtCsABC_3std8exercise4exit"));
        assert!(!in_own_namespace("my8exercise"));
        assert!(in_own_namespace("_RNvC8exercise4main"));
    }

    #[test]
    fn constructors_and_ifuncs_are_refused() {
        let found = problems(
            &[Exported {
                name: "_RNvCs1_8exercise7resolve".into(),
                load_time_resolver: true,
            }],
            &[".init_array.00099".into(), ".text".into()],
        );
        assert_eq!(found.len(), 2);
        assert!(found[0].contains("indirect function"));
        assert!(found[1].starts_with("puts code in `.init_array.00099`"));
        assert!(runs_outside_main(".fini_array"));
        assert!(!runs_outside_main(".init_arrays_are_not_this"));
    }
}
