//! Wrong fix: a `JoinSet` turns each task's outcome into its invoice's result, but hands them out
//! in the order the tasks finish, which on a multi-thread runtime is not the invoices' order.
// expect fail: in the order their tasks finished
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
    let mut tasks = tokio::task::JoinSet::new();
    for invoice in invoices {
        let parse = Arc::clone(&parse);
        tasks.spawn(async move { parse(&invoice) });
    }
    let mut results = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        results.push(match joined {
            Ok(Ok(total)) => Ok(total),
            Ok(Err(reason)) => Err(ImportError::Rejected(reason)),
            Err(failed) => Err(ImportError::Crashed(failed.to_string())),
        });
    }
    results
}
