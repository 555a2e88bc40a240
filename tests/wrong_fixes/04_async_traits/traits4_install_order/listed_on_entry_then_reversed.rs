//! Wrong fix: boxes the recursion, but lists each package when the walk first meets it and
//! reverses the list at the end. A package then comes after everything met after it, not
//! after its own dependencies: `cli` needs `log`, which the walk met earlier through `web`,
//! so `log` lands after `cli`.
// expect fail: lists packages as it meets them

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
    order.reverse();
    order
}

/// Appends `package` to `order`, then its dependencies, unless it was seen before.
async fn visit(
    registry: &dyn Registry,
    package: &str,
    seen: &mut HashSet<String>,
    order: &mut Vec<String>,
) {
    if !seen.insert(package.to_owned()) {
        return;
    }
    order.push(package.to_owned());
    for dependency in registry.dependencies(package).await {
        Box::pin(visit(registry, &dependency, seen, order)).await;
    }
}
