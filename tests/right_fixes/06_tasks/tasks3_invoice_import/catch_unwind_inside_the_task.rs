//! Correct alternative: the task catches the parser's panic itself with `catch_unwind`, so
//! its `JoinHandle` never holds an error.
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
            tokio::spawn(async move {
                let parsed =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&invoice)));
                match parsed {
                    Ok(Ok(total)) => Ok(total),
                    Ok(Err(reason)) => Err(ImportError::Rejected(reason)),
                    Err(payload) => {
                        let message = payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| payload.downcast_ref::<&str>().map(|m| (*m).to_owned()))
                            .unwrap_or_default();
                        Err(ImportError::Crashed(message))
                    }
                }
            })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("the task catches its own panics"));
    }
    results
}
