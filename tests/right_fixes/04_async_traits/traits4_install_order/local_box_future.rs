//! Correct alternative: `visit` is a plain fn returning a `LocalBoxFuture`, built with
//! `.boxed_local()`: the recursion goes through a boxed future of a named type.
use std::collections::HashSet;
use std::pin::Pin;

use futures::FutureExt;
use futures::future::LocalBoxFuture;

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
) -> LocalBoxFuture<'a, ()> {
    async move {
        if !seen.insert(package.to_owned()) {
            return;
        }
        for dependency in registry.dependencies(package).await {
            visit(registry, &dependency, seen, order).await;
        }
        order.push(package.to_owned());
    }
    .boxed_local()
}
