//! An accounting tool imports a batch of supplier invoices, each one in a task of its own; one
//! invoice the parser rejects, or crashes on, becomes that invoice's error.

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
            // A rejection is an ordinary outcome: the task returns it as its value, it does
            // not panic over it.
            tokio::spawn(async move { parse(&invoice) })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        // Awaiting a `JoinHandle` gives `Err(JoinError)` when the task panicked (or was
        // aborted): tokio caught the panic, and this is where it is handed over. It becomes
        // this invoice's error, and the loop goes on with the next one.
        let result = match task.await {
            Ok(Ok(total)) => Ok(total),
            Ok(Err(reason)) => Err(ImportError::Rejected(reason)),
            Err(failed) => Err(ImportError::Crashed(crash_message(failed))),
        };
        results.push(result);
    }
    results
}

/// The message a task panicked with: a panic's payload is a `&str` for `panic!("text")` and a
/// `String` when the message was formatted.
fn crash_message(failed: tokio::task::JoinError) -> String {
    match failed.try_into_panic() {
        Ok(payload) => match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast::<&str>() {
                Ok(message) => (*message).to_owned(),
                Err(_) => "the parser panicked".to_owned(),
            },
        },
        Err(failed) => failed.to_string(),
    }
}
