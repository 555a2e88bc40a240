//! Wrong fix: boxes the recursive call, and drops the `seen` set for the list itself: a
//! package already in the order is skipped. But a package enters the list only once its
//! dependencies are done, so a walk round a dependency cycle never meets it there.
// expect fail: went round the dependency cycle
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
    let mut order = Vec::new();
    visit(registry, root, &mut order).await;
    order
}

/// Appends `package` to `order` after its dependencies, unless it is there already.
async fn visit(registry: &dyn Registry, package: &str, order: &mut Vec<String>) {
    if order.iter().any(|installed| installed == package) {
        return;
    }
    for dependency in registry.dependencies(package).await {
        Box::pin(visit(registry, &dependency, order)).await;
    }
    order.push(package.to_owned());
}
