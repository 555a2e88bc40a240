//! Wrong fix (found by a stranger): checks `seen` before recursing into a dependency, but
//! never puts the root in it: a cycle back to the root lists the root twice.
// expect fail: lists a 2 time(s)

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

/// Appends `package` to `order` after its dependencies; only recurses into unseen ones.
fn visit<'a>(
    registry: &'a dyn Registry,
    package: &'a str,
    seen: &'a mut HashSet<String>,
    order: &'a mut Vec<String>,
) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        for dependency in registry.dependencies(package).await {
            if seen.insert(dependency.clone()) {
                visit(registry, &dependency, seen, order).await;
            }
        }
        order.push(package.to_owned());
    })
}
