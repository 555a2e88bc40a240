//! An accounting tool imports a batch of supplier invoices, each one in a task of its own.
//! `parse` is the vendor's invoice parser: it returns an invoice's total in cents, or `Err`
//! with the reason it rejects the invoice (a missing VAT number...). It also has bugs: now and
//! then it panics on an invoice it cannot handle.
//!
//! Right now a single rejected invoice, or a single crash of the parser, takes the whole import
//! down with it, and the accountant gets nothing for the other invoices.
//!
//! Done when: `import_all` returns one result per invoice, in the order given: `Ok(total)`;
//! `Err(ImportError::Rejected(reason))` with the parser's own reason; or, when the parser
//! panicked on that invoice, `Err(ImportError::Crashed(message))`, the message containing the
//! panic's text. Every other invoice is imported all the same, no invoice goes missing from the
//! results, and no task panics over an invoice the parser merely rejected. No invoices, no
//! results.

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
            // TODO: what does this task do with an invoice the parser rejects?
            tokio::spawn(async move { parse(&invoice).unwrap() })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        // TODO: and what happens here when the task panicked?
        results.push(Ok(task.await.unwrap()));
    }
    results
}
