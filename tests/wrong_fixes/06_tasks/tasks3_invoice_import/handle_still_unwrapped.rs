//! Wrong fix: the task returns the parser's `Result` now, but the `JoinHandle` is still unwrapped:
//! one crash of the parser re-raises its panic in `import_all` and ends the whole import.
// expect fail: one bad invoice took the whole import down
use std::sync::Arc;

pub struct Invoice {
    pub number: u32,
    pub text: String,
}

/// The vendor's parser: the invoice's total in cents, or why it rejects it. It may panic.
pub type Parser = Arc<dyn Fn(&Invoice) -> Result<u64, String> + Send + Sync>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The parser rejected the invoice, for this reason.
    Rejected(String),
    /// The parser panicked on the invoice, with this message.
    Crashed(String),
}

/// Imports every invoice: one result per invoice, in the order given.
pub async fn import_all(invoices: Vec<Invoice>, parse: Parser) -> Vec<Result<u64, ImportError>> {
    let tasks: Vec<_> = invoices
        .into_iter()
        .map(|invoice| {
            let parse = Arc::clone(&parse);
            tokio::spawn(async move { parse(&invoice) })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.unwrap().map_err(ImportError::Rejected));
    }
    results
}
