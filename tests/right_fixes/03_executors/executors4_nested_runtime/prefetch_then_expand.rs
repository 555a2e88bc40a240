//! Correct alternative: stays async: one pass of `expand` collects the names, the pages are awaited, a second pass only looks them up
//! A wiki renders its pages on a tokio runtime. Templates go through `expand`, the template
//! library's renderer: synchronous, not yours to change, it calls your `include` callback for
//! every `{{name}}` it meets. Page bodies come from the `PageStore`, whose API is async: each
//! fetch is a request to the store's own task, on the same runtime.

use std::collections::HashMap;

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
    // First pass: only learn which pages the template includes.
    let mut names = Vec::new();
    expand(template, |name| {
        names.push(name.to_owned());
        String::new()
    });
    // Fetch each one once, awaiting like any async code.
    let mut bodies = HashMap::new();
    for name in names {
        if !bodies.contains_key(&name) {
            let body = store.fetch(&name).await;
            bodies.insert(name, body);
        }
    }
    // Second pass: the callback has everything at hand and never waits.
    expand(template, |name| bodies[name].clone())
}
