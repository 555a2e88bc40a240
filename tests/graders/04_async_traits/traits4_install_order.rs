//! Grades the install order against the grader's registry: manifests it defines, each fetch
//! counted and taking a known time on the paused clock (the slow `log` manifest makes a walk
//! that runs branches concurrently finish them out of order). A manifest fetched more than
//! `MAX_FETCHES` times is answered with no dependencies, so a walk that goes round a cycle
//! comes to an end and is named, instead of filling the stack. The order is compared with a depth-first walk the grader does itself,
//! and every difference is named: a package twice or missing, one before its dependency, or
//! dependencies out of their manifest's order.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Registry, install_order};

/// Fetches of one manifest after which the grader's registry answers it with no dependencies,
/// so that a walk going round a cycle comes to an end (and is named).
const MAX_FETCHES: usize = 10;

/// The grader's registry: `package -> dependencies`; every fetch takes 1 s, `log`'s 3 s.
#[derive(Clone)]
struct Manifests {
    graph: Arc<HashMap<&'static str, Vec<&'static str>>>,
    fetched: Arc<Mutex<Vec<String>>>,
    /// Fetches under way now, and the most there ever were at once.
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Manifests {
    fn new(graph: &[(&'static str, &[&'static str])]) -> Self {
        Manifests {
            graph: Arc::new(graph.iter().map(|(p, d)| (*p, d.to_vec())).collect()),
            fetched: Arc::default(),
            in_flight: Arc::default(),
        }
    }

    fn deps(&self, package: &str) -> Vec<&'static str> {
        self.graph.get(package).cloned().unwrap_or_default()
    }

    fn fetches_of(&self, package: &str) -> usize {
        let fetched = self.fetched.lock().unwrap();
        fetched.iter().filter(|p| *p == package).count()
    }

    /// The order a depth-first walk gives: the contract's.
    fn expected(&self, root: &str) -> Vec<String> {
        fn walk(m: &Manifests, p: &str, seen: &mut HashSet<String>, out: &mut Vec<String>) {
            if seen.insert(p.to_owned()) {
                for d in m.deps(p) {
                    walk(m, d, seen, out);
                }
                out.push(p.to_owned());
            }
        }
        let mut out = Vec::new();
        walk(self, root, &mut HashSet::new(), &mut out);
        out
    }
}

impl Registry for Manifests {
    fn dependencies<'a>(
        &'a self,
        package: &'a str,
    ) -> Pin<Box<dyn Future<Output = Vec<String>> + 'a>> {
        Box::pin(async move {
            let times = {
                let mut fetched = self.fetched.lock().unwrap();
                fetched.push(package.to_owned());
                fetched.iter().filter(|p| *p == package).count()
            };
            let secs = if package == "log" { 3 } else { 1 };
            {
                let mut in_flight = self.in_flight.lock().unwrap();
                in_flight.0 += 1;
                in_flight.1 = in_flight.1.max(in_flight.0);
            }
            tokio::time::sleep(Duration::from_secs(secs)).await;
            self.in_flight.lock().unwrap().0 -= 1;
            if times > MAX_FETCHES {
                return Vec::new();
            }
            self.deps(package).into_iter().map(str::to_owned).collect()
        })
    }
}


/// Runs `install_order(root)` on `manifests`, then checks the order and the fetches.
fn check_walk(manifests: &Manifests, root: &'static str) {
    let registry = manifests.clone();
    let got = paused_clock()
        .limit(Duration::from_secs(3))
        .would_hang_after(
            Duration::from_secs(600),
            "install_order never finished: it waited for something other than the manifests",
        )
        .run(move || async move { install_order(&registry, root).await });
    let expected = manifests.expected(root);
    if let Some(package) = expected.iter().find(|p| manifests.fetches_of(p) > MAX_FETCHES) {
        panic!(
            "the walk fetched the manifest of {package} more than {MAX_FETCHES} times: it went \
             round the dependency cycle again and again (the grader's registry stopped \
             naming {package}'s dependencies then, or it would never have ended); remember \
             each package as soon as you start it, and skip it when you meet it again"
        );
    }
    for package in &expected {
        let times = got.iter().filter(|p| *p == package).count();
        assert!(
            times == 1,
            "the install order for {root} lists {package} {times} time(s): {got:?}; list every \
             package it needs exactly once, where it is first needed"
        );
    }
    if let Some(stray) = got.iter().find(|p| !expected.contains(p)) {
        panic!("the install order for {root} lists {stray}, which {root} does not need: {got:?}");
    }
    let place_in = |order: &[String], package: &str| order.iter().position(|p| p == package);
    for package in &got {
        // A dependency after its dependent (a cycle's way back excepted: no order has it before).
        let misplaced = |dep: &&str| {
            place_in(&got, dep) > place_in(&got, package)
                && place_in(&expected, dep) < place_in(&expected, package)
        };
        if let Some(dep) = manifests.deps(package).into_iter().find(misplaced) {
            let at_once = manifests.in_flight.lock().unwrap().1;
            let why = if at_once > 1 {
                format!(
                    "the walk fetched up to {at_once} manifests at once, and a branch that met \
                     {dep} already started by another branch went on without waiting for it \
                     to finish; walk the dependencies one after the other"
                )
            } else {
                "it was listed before all of its dependencies had been walked (a walk that lists \
                 packages as it meets them, reversed at the end or not, or a walk breadth first, \
                 does this); walk depth first: a package's dependencies, each with its own before \
                 it, then the package"
                    .to_owned()
            };
            panic!(
                "the install order for {root} puts {package} before its dependency {dep}: \
                 {got:?}; {why}"
            );
        }
    }
    let at_once = manifests.in_flight.lock().unwrap().1;
    let concurrent = if at_once > 1 {
        format!(
            " (the walk fetched up to {at_once} manifests at once, so packages came in the \
             order their branches finished)"
        )
    } else {
        String::new()
    };
    assert!(
        got == expected,
        "the install order for {root} is {got:?}: every package after its dependencies, but \
         not depth first in manifest order, which gives {expected:?}{concurrent}; take each \
         package's dependencies one after the other, in its manifest's order, each with all \
         of its own before it"
    );
    for package in &expected {
        let times = manifests.fetches_of(package);
        assert!(
            times == 1,
            "the walk fetched the manifest of {package} {times} times: fetch each manifest \
             once, and skip a package you have already met"
        );
    }
}

#[test]
fn installs_dependencies_first_depth_first_each_once() {
    // `log` is needed by four packages, `app` names it too; `http` needs `log` and `tls`.
    let manifests = Manifests::new(&[
        ("app", &["web", "db", "cli", "log"]),
        ("web", &["http", "log"]),
        ("http", &["log", "tls"]),
        ("db", &["log", "pool"]),
        ("cli", &["log"]),
        ("pool", &[]),
        ("tls", &[]),
        ("log", &[]),
    ]);
    check_walk(&manifests, "app");
}

#[test]
fn another_root_walks_only_what_it_needs() {
    let manifests = Manifests::new(&[
        ("app", &["web", "db"]),
        ("db", &["pool", "log"]),
        ("pool", &["log", "sync"]),
        ("web", &["http"]),
    ]);
    check_walk(&manifests, "db");
}

#[test]
fn a_package_without_dependencies_is_installed_alone() {
    let manifests = Manifests::new(&[("serde", &[])]);
    check_walk(&manifests, "serde");
    let unknown = Manifests::new(&[]);
    check_walk(&unknown, "left-pad");
}

#[test]
fn a_dependency_cycle_does_not_loop_forever() {
    // A broken registry: `a` needs `b`, which needs `c`, which needs `a` again.
    let manifests = Manifests::new(&[("a", &["b"]), ("b", &["c"]), ("c", &["a", "d"])]);
    check_walk(&manifests, "a");
}
