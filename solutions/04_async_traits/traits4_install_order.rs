//! A package's install order, by a recursive async walk: the recursive call is boxed, so the
//! future of `visit` holds a pointer to the next level's future, not that future itself.

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
        // `Box::pin` puts the inner call's future on the heap: `visit`'s own future then has a
        // finite size, whatever the depth the walk reaches at run time.
        Box::pin(visit(registry, &dependency, seen, order)).await;
    }
    order.push(package.to_owned());
}
