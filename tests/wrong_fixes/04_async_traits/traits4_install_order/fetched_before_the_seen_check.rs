//! Wrong fix (found by a stranger): boxes the recursion, but fetches the manifest before
//! looking at `seen`: a package needed by five others has its manifest fetched five times.
// expect fail: fetched the manifest of log 5 times

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
fn visit<'a>(
    registry: &'a dyn Registry,
    package: &'a str,
    seen: &'a mut HashSet<String>,
    order: &'a mut Vec<String>,
) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        let dependencies = registry.dependencies(package).await;
        if !seen.insert(package.to_owned()) {
            return;
        }
        for dependency in dependencies {
            visit(registry, &dependency, seen, order).await;
        }
        order.push(package.to_owned());
    })
}
