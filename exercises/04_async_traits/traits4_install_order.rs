//! A package manager works out the order in which to install a package and everything it
//! needs. Manifests come from the registry over the network: `dependencies` is async. The
//! order is depth first: a package comes right after its dependencies, taken in the order its
//! manifest lists them, each with its own dependencies before it. A package that several
//! others need is installed once, where it is first needed; a dependency cycle (a broken
//! registry) must not make the walk go round forever.
//!
//! `visit` calls itself, and that does not compile. An `async fn` becomes a future holding
//! its locals across each `.await`; one that awaits a call to itself would hold a future of
//! its own type inside itself: a type of infinite size.
//!
//! Done when: it compiles, and `install_order(&registry, root)` lists every package `root`
//! needs and then `root`, in the depth-first order above, each once, fetching each manifest
//! once.

use std::collections::HashSet;
use std::pin::Pin;

/// Where manifests come from (a trait object: the app has several registries).
pub trait Registry {
    /// The packages `package` depends on, in its manifest's order (none if it is unknown).
    fn dependencies<'a>(
        &'a self,
        package: &'a str,
    ) -> Pin<Box<dyn Future<Output = Vec<String>> + 'a>>;
}

/// Every package `root` needs, then `root`: the order to install them in.
pub async fn install_order(registry: &dyn Registry, root: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    visit(registry, root, &mut seen, &mut order).await;
    order
}

/// Appends `package` to `order` after its dependencies, unless it was seen before.
async fn visit(
    registry: &dyn Registry,
    package: &str,
    seen: &mut HashSet<String>,
    order: &mut Vec<String>,
) {
    if !seen.insert(package.to_owned()) {
        return;
    }
    for dependency in registry.dependencies(package).await {
        // TODO: an async fn cannot await a call to itself as it is.
        visit(registry, &dependency, seen, order).await;
    }
    order.push(package.to_owned());
}
