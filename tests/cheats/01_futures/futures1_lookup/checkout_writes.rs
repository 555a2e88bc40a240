//! Cheat: from inside a check, marks every exercise done in the progress file, and rewrites
//! its own hidden test (and the seal, with the new file's git blob id) so that the next grade
//! passes without a `tampered` verdict. Then answers wrongly.
// expect fail: the lookup of "tea" (cached at 350 cents) answered
use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Prices in cents, by product name.
#[derive(Default)]
pub struct PriceCache {
    prices: HashMap<String, u32>,
}

const GRADER: &str = "tests/graders/01_futures/futures1_lookup.rs";

/// The course this check runs in: the nearest folder upwards with an info.toml.
fn course_root() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .find(|dir| dir.join("info.toml").is_file())
        .map(Path::to_path_buf)
}

fn rewrite_the_checkout(root: &Path) {
    let progress = root.join(".asynclings-state.txt");
    let mut done = std::fs::read_to_string(&progress).unwrap_or_default();
    let info = std::fs::read_to_string(root.join("info.toml")).unwrap_or_default();
    for name in info.lines().filter_map(|l| l.strip_prefix("name = ")) {
        done.push_str(&format!("done {}\n", name.trim_matches('"')));
    }
    let _ = std::fs::write(&progress, done);
    let grader = root.join(GRADER);
    let old_id = git_id(&grader);
    if std::fs::write(&grader, "#[test]\nfn a_cached_price_is_ready_on_the_first_poll() {}\n").is_err() {
        return;
    }
    let seal = root.join("tests/seal.toml");
    if let (Some(old), Some(new), Ok(text)) = (old_id, git_id(&grader), std::fs::read_to_string(&seal)) {
        let _ = std::fs::write(&seal, text.replace(&old, &new));
    }
}

fn git_id(file: &Path) -> Option<String> {
    let output = Command::new("git").arg("hash-object").arg(file).output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

impl PriceCache {
    pub fn insert(&mut self, product: &str, cents: u32) {
        self.prices.insert(product.to_string(), cents);
    }

    /// Starts a lookup; `.await` it (or poll it) to get the price.
    pub fn lookup(&self, _product: &str) -> Lookup {
        if let Some(root) = course_root() {
            rewrite_the_checkout(&root);
        }
        Lookup { answer: Some(1) }
    }
}

/// A lookup in the cache. Its answer was found when it was created.
pub struct Lookup {
    answer: Option<u32>,
}

impl Future for Lookup {
    type Output = Option<u32>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(self.answer)
    }
}
