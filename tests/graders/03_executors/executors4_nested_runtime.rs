//! Grades `render_page` against a page store whose answers come from a task on the same
//! runtime, so that blocking a runtime thread on the store is a deadlock on a current-thread
//! runtime, and tokio's own panics (a `block_on` or a blocking receive inside async code,
//! `block_in_place` on a current-thread runtime) become verdicts with the pages fetched so far.
//! The page is rendered on a current-thread runtime, and as a spawned task on a multi-thread
//! one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::mpsc;

use crate::exercise::{PageStore, Request, render_page};

/// Real-time bound on rendering one page, which needs milliseconds.
const LIMIT: Duration = Duration::from_millis(1500);

const PAGES: [(&str, &str); 4] = [
    ("header", "Ferris' wiki"),
    ("news", "Rust 1.95 is out"),
    ("sidebar", "Recent changes"),
    ("footer", "© the authors"),
];

const TEMPLATE: &str = "<h1>{{header}}</h1><main>{{ news }}</main><aside>{{sidebar}}</aside>\
                        <footer>{{footer}}</footer>";
const PAGE: &str = "<h1>Ferris' wiki</h1><main>Rust 1.95 is out</main><aside>Recent changes\
                    </aside><footer>© the authors</footer>";

const DEADLOCK_VERDICT: &str = "render_page never finished: it blocked the runtime's thread \
    while waiting for the page store, whose answers come from a task that needs that same \
    thread to run (a deadlock); never block inside async code: .await the store, or block \
    only where blocking is allowed (spawn_blocking)";

/// The body the store sends for a page it does not have.
fn missing(name: &str) -> String {
    format!("(no page named {name})")
}

/// Starts the store's task on the current runtime; it counts the requests it answers.
fn start_store(served: Arc<AtomicUsize>) -> PageStore {
    let (requests, mut incoming) = mpsc::channel::<Request>(8);
    tokio::spawn(async move {
        while let Some((name, reply)) = incoming.recv().await {
            served.fetch_add(1, SeqCst);
            let body = PAGES
                .iter()
                .find(|(page, _)| *page == name)
                .map(|(_, body)| (*body).to_owned())
                .unwrap_or_else(|| missing(&name));
            let _ = reply.send(body);
        }
    });
    PageStore::new(requests)
}

/// The verdict for tokio's "you blocked inside async code" panics.
fn nested_verdict(message: &str, served: usize, includes: usize) -> Option<String> {
    if !message.contains("from within a runtime") {
        return None;
    }
    let said = message.split(". ").next().unwrap_or(message);
    Some(format!(
        "render_page blocked on a future inside async code, on a thread that drives the \
         runtime, and tokio panicked (\"{said}\") with {served} of {includes} includes \
         fetched: a runtime's executor cannot be entered again from one of its own tasks; in \
         async code, .await the store; to keep the synchronous callback, run expand where \
         blocking is allowed (spawn_blocking) and block on the store there"
    ))
}

/// Renders `template` as a task on `run`'s runtime; returns the page and the requests served.
fn render_on(run: Run, template: &'static str) -> (String, usize) {
    let includes = template.matches("{{").count();
    let served = Arc::new(AtomicUsize::new(0));
    let (seen_by_explain, seen_by_store) = (Arc::clone(&served), Arc::clone(&served));
    let page = run
        .limit(LIMIT)
        .on_block(DEADLOCK_VERDICT)
        .allow_task_panics()
        .explain_panics(move |message| {
            nested_verdict(message, seen_by_explain.load(SeqCst), includes)
        })
        .run(move || async move {
            let store = start_store(seen_by_store);
            let rendering = tokio::spawn(async move { render_page(&store, template).await }).await;
            match rendering {
                Ok(page) => page,
                // The task's own panic, as it was, for the explanations above.
                Err(failed) => std::panic::resume_unwind(failed.into_panic()),
            }
        });
    (page, served.load(SeqCst))
}

#[test]
fn renders_on_a_current_thread_runtime() {
    let (page, _) = render_on(real_clock(), TEMPLATE);
    assert_eq!(
        page, PAGE,
        "render_page returned the wrong page: every {{{{name}}}} must become that page's body, \
         as expand does it"
    );
}

#[test]
fn renders_as_a_task_on_a_multi_thread_runtime() {
    let (page, _) = render_on(real_clock().multi_thread(2), TEMPLATE);
    assert_eq!(
        page, PAGE,
        "render_page returned the wrong page: every {{{{name}}}} must become that page's body, \
         as expand does it"
    );
}

#[test]
fn renders_repeated_and_unknown_includes() {
    let template = "{{news}}, again: {{news}}; {{archive}}";
    let (page, served) = render_on(real_clock(), template);
    let expected = format!(
        "Rust 1.95 is out, again: Rust 1.95 is out; {}",
        missing("archive")
    );
    assert_eq!(
        page, expected,
        "render_page returned the wrong page for a template with a repeated include and a \
         page the store lacks: each include gets the body the store sends for that name"
    );
    assert!(
        (2..=3).contains(&served),
        "render_page fetched {served} pages for 3 includes of 2 names: fetch each name at least \
         once, and no page that is not included"
    );
}

#[test]
fn renders_a_page_without_includes() {
    let template = "<p>Nothing to include here.</p>";
    let (page, served) = render_on(real_clock(), template);
    assert_eq!(
        page, template,
        "a template without includes must come back as it is"
    );
    assert!(
        served == 0,
        "render_page fetched {served} page(s) for a template without includes"
    );
}
