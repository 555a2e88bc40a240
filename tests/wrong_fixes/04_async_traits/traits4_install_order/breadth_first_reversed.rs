//! Wrong fix: no recursion at all: a queue walks the graph breadth first, each package once,
//! and the list is reversed at the end so that dependencies come first. But a package met
//! early (`app` lists `log` itself) then lands after packages that need it.
// expect fail: a walk breadth first
use std::collections::{HashSet, VecDeque};
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
    let mut queue = VecDeque::from([root.to_owned()]);
    while let Some(package) = queue.pop_front() {
        if !seen.insert(package.clone()) {
            continue;
        }
        queue.extend(registry.dependencies(&package).await);
        order.push(package);
    }
    order.reverse();
    order
}
