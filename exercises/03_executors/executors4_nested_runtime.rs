//! A wiki renders its pages on a tokio runtime. Templates go through `expand`, the template
//! library's renderer: synchronous, not yours to change, it calls your `include` callback for
//! every `{{name}}` it meets. Page bodies come from the `PageStore`, whose API is async: each
//! fetch is a request to the store's own task, on the same runtime.
//!
//! `render_page` bridges the two by blocking on the store inside the callback. That runs on a
//! thread that is busy driving the runtime, and tokio panics: "Cannot start a runtime from
//! within a runtime". An executor cannot be entered again from inside one of its own tasks.
//!
//! Done when: `render_page` replaces every include with its page's body, on a current-thread
//! runtime and as a task spawned on a multi-thread one, without blocking a runtime thread:
//! `.await` the store from async code or, keeping the synchronous callback, run `expand`
//! where blocking is allowed and block on the store there.

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
    // TODO: this blocks on the store inside async code, on a thread that runs the runtime.
    expand(template, |name| {
        Handle::current().block_on(store.fetch(name))
    })
}
