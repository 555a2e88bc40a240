//! Wrong fix: boxes the recursion and, to go faster, walks a package's dependencies all at
//! once with `join_all`, the shared state in a `RefCell`. A branch that meets a package
//! another branch has started skips it, and finishes before that package is in the list.
// expect fail: went on without waiting for it
use std::cell::RefCell;
use std::collections::HashSet;

use futures::future::join_all;
use std::pin::Pin;

/// Where manifests come from (a trait object: the app has several registries).
pub trait Registry {
    /// The packages `package` depends on, in its manifest's order (none if it is unknown).
    fn dependencies<'a>(
        &'a self,
        package: &'a str,
    ) -> Pin<Box<dyn Future<Output = Vec<String>> + 'a>>;
}

#[derive(Default)]
struct Walk {
    seen: HashSet<String>,
    order: Vec<String>,
}

/// Every package `root` needs, then `root`: the order to install them in.
pub async fn install_order(registry: &dyn Registry, root: &str) -> Vec<String> {
    let walk = RefCell::new(Walk::default());
    visit(registry, root.to_owned(), &walk).await;
    walk.into_inner().order
}

async fn visit(registry: &dyn Registry, package: String, walk: &RefCell<Walk>) {
    if !walk.borrow_mut().seen.insert(package.clone()) {
        return;
    }
    let dependencies = registry.dependencies(&package).await;
    let branches = dependencies
        .into_iter()
        .map(|dependency| Box::pin(visit(registry, dependency, walk)));
    join_all(branches).await;
    walk.borrow_mut().order.push(package);
}
