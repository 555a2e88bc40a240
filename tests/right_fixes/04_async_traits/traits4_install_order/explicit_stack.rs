//! Correct alternative: no recursion: an explicit stack of packages being walked, each with
//! its dependencies and how many of them were taken so far.
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
    let mut seen = HashSet::from([root.to_owned()]);
    let mut order = Vec::new();
    let mut stack = vec![(root.to_owned(), registry.dependencies(root).await, 0)];
    while let Some(top) = stack.len().checked_sub(1) {
        let (package, dependencies, taken) = &mut stack[top];
        match dependencies.get(*taken).cloned() {
            Some(dependency) => {
                *taken += 1;
                if seen.insert(dependency.clone()) {
                    let next = registry.dependencies(&dependency).await;
                    stack.push((dependency, next, 0));
                }
            }
            None => {
                order.push(package.clone());
                stack.pop();
            }
        }
    }
    order
}
