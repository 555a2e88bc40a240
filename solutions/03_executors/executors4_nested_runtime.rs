//! A wiki renders its pages on a tokio runtime. Templates go through `expand`, the template
//! library's renderer: synchronous, not yours to change, it calls your `include` callback for
//! every `{{name}}` it meets. Page bodies come from the `PageStore`, whose API is async: each
//! fetch is a request to the store's own task, on the same runtime.
//!
//! A thread that drives a runtime must not block, and tokio refuses to start a runtime's
//! `block_on` on such a thread ("Cannot start a runtime from within a runtime"): an executor
//! cannot be entered again from inside one of its own tasks.

use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

/// A request to the store: a page's name, and where to send its body.
pub type Request = (String, oneshot::Sender<String>);

/// The async client of the page store.
#[derive(Clone)]
pub struct PageStore {
    requests: mpsc::Sender<Request>,
}

impl PageStore {
    pub fn new(requests: mpsc::Sender<Request>) -> Self {
        PageStore { requests }
    }

    pub async fn fetch(&self, name: &str) -> String {
        let (reply, body) = oneshot::channel();
        let request = (name.to_owned(), reply);
        self.requests
            .send(request)
            .await
            .expect("the store is down");
        body.await.expect("the store dropped the request")
    }
}

/// The template library's renderer: copies `template`, replacing each `{{name}}` with
/// `include(name)`.
pub fn expand(template: &str, mut include: impl FnMut(&str) -> String) -> String {
    let (mut page, mut rest) = (String::new(), template);
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start..].find("}}") else {
            break;
        };
        page.push_str(&rest[..start]);
        page.push_str(&include(rest[start + 2..start + length].trim()));
        rest = &rest[start + length + 2..];
    }
    page.push_str(rest);
    page
}

/// Renders a page: its template, with every include fetched from the store.
pub async fn render_page(store: &PageStore, template: &str) -> String {
    // `expand` is synchronous and wants each include right away, so its callback must wait
    // for the store: it blocks. Blocking is what a runtime's threads must never do (on a
    // current-thread runtime, the store's task could not even run), and tokio refuses a
    // `block_on` there. The blocking pool is made for it: run `expand` there, and let the
    // callback block on the store through a handle to this runtime. This task just awaits the
    // result, leaving its thread free for the store's task and everything else.
    let (store, template) = (store.clone(), template.to_owned());
    let runtime = Handle::current();
    let rendering = tokio::task::spawn_blocking(move || {
        expand(&template, |name| runtime.block_on(store.fetch(name)))
    });
    // A panic inside `expand` comes back as an error here: pass it on.
    match rendering.await {
        Ok(page) => page,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}
