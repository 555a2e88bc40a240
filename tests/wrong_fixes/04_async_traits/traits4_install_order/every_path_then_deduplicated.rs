//! Wrong fix: each `visit` returns its own list (no shared state to pass down), boxed; the
//! lists are joined and duplicates dropped at the end. The order comes out right, but a
//! package needed by five others is walked, and its manifest fetched, five times, and a
//! dependency cycle makes the walk go round forever.
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
    let mut order = visit(registry, root).await;
    order.retain(|package| seen.insert(package.clone()));
    order
}

async fn visit(registry: &dyn Registry, package: &str) -> Vec<String> {
    let mut order = Vec::new();
    for dependency in registry.dependencies(package).await {
        order.extend(Box::pin(visit(registry, &dependency)).await);
    }
    order.push(package.to_owned());
    order
}
