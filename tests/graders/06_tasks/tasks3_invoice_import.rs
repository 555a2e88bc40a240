//! Grades `import_all` with the grader's own parser: for each invoice number it returns a
//! total, rejects the invoice with a reason, or panics (with a `&str` payload, or a formatted
//! `String` one). The facts that decide: whether `import_all` itself panicked (and with whose
//! message), the results it returned, one per invoice, and the panics raised inside its tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asynclings_grading::panics::TaskPanics;
use asynclings_grading::prelude::*;

use crate::exercise::{ImportError, Invoice, Parser, import_all};

/// What the grader's parser does with one invoice.
#[derive(Clone, Copy, Debug)]
enum Parse {
    Total(u64),
    Reject(&'static str),
    /// Panics with this `&'static str` payload.
    Panic(&'static str),
    /// Panics with a formatted `String` payload: this text, then the invoice's number.
    PanicFormatted(&'static str),
}

/// The messages the grader's parser may panic with, so that a panic of `import_all` itself
/// can be told from the parser's own.
const PANICS: [&str; 3] = [
    "unexpected currency symbol",
    "index out of range in line items",
    "date field overflowed",
];
const REASONS: [&str; 3] = [
    "no VAT number",
    "total does not match the line items",
    "supplier unknown",
];

fn expected(parse: Parse, number: u32) -> Result<u64, String> {
    match parse {
        Parse::Total(cents) => Ok(cents),
        Parse::Reject(reason) => Err(format!("rejected: {reason}")),
        Parse::Panic(message) => Err(format!("crashed: {message}")),
        Parse::PanicFormatted(message) => Err(format!("crashed: {message} (invoice {number})")),
    }
}

/// What one call of `import_all` did.
struct Outcome {
    results: Vec<Result<u64, ImportError>>,
    /// Panics raised inside tasks, by message.
    task_panics: Vec<String>,
    /// The first invoice's parse was held back until the other tasks had ended.
    held_back: bool,
}

fn text_of(number: u32) -> String {
    format!("INVOICE {number}\nSUPPLIER Acme Tools\n")
}

/// Runs `import_all` over `batch` (invoice number, what the parser does with it).
fn import(batch: &[(u32, Parse)]) -> Outcome {
    import_on(paused_clock(), None, batch)
}

/// Runs `import_all` over `batch` on `runtime`; with `hold` (a multi-thread runtime), the parse
/// of the first invoice waits, on its worker thread and for at most `hold`, until every other
/// task that `import_all` spawned has ended, so that the first invoice's task ends last.
///
/// "Ended" is read from the runtime's count of alive tasks, which drops only after a task's
/// `JoinHandle` (or `JoinSet`) has been told that it finished: whoever collects the results as
/// they come hears of the first invoice last, every time.
fn import_on(runtime: Run, hold: Option<Duration>, batch: &[(u32, Parse)]) -> Outcome {
    let numbers: Vec<u32> = batch.iter().map(|(number, _)| *number).collect();
    let first = numbers.first().copied();
    let count = numbers.len();
    let batch = batch.to_vec();
    let panics = TaskPanics::new();
    let watch = panics.clone();
    let spawned = hold.is_some();
    let make = move || async move {
        let _watching = (!spawned).then(|| watch.watch_this_thread());
        let metrics = tokio::runtime::Handle::current().metrics();
        // The tasks alive before import_all spawns any: this one, the run's heartbeat.
        let before = metrics.num_alive_tasks();
        let parsed = AtomicUsize::new(0);
        let parse: Parser = Arc::new(move |invoice: &Invoice| {
            let parse = batch
                .iter()
                .find(|(number, _)| *number == invoice.number)
                .map_or(Parse::Total(0), |(_, parse)| *parse);
            if let Some(patience) = hold
                && Some(invoice.number) == first
            {
                // Every other parse has returned, and this invoice's task is the only one left
                // of those import_all spawned. (Tasks on the blocking pool are not counted as
                // alive tasks: for those, the parses having returned is all there is to see.)
                wait_until(patience, || {
                    parsed.load(SeqCst) + 1 >= count && metrics.num_alive_tasks() <= before + 1
                });
            } else {
                parsed.fetch_add(1, SeqCst);
            }
            match parse {
                Parse::Total(cents) => Ok(cents),
                Parse::Reject(reason) => Err(reason.to_owned()),
                // `resume_unwind` unwinds exactly as a panic does, with the same payload (a
                // `&str` for `panic!("text")`, a `String` for a formatted message), but without
                // running the panic hook: the crashes the grader's parser stages on purpose are
                // not printed among the learner's own panics.
                Parse::Panic(message) => std::panic::resume_unwind(Box::new(message)),
                Parse::PanicFormatted(message) => std::panic::resume_unwind(Box::new(format!(
                    "{message} (invoice {})",
                    invoice.number
                ))),
            }
        });
        let invoices = numbers
            .into_iter()
            .map(|number| Invoice {
                number,
                text: text_of(number),
            })
            .collect();
        import_all(invoices, parse).await
    };
    let runtime = runtime
        .allow_task_panics()
        .explain_panics(|message| {
            let parser = PANICS
                .iter()
                .chain(&REASONS)
                .find(|t| message.contains(*t))?;
            Some(format!(
                "import_all itself panicked ({message:?}), over one invoice the parser {} \
                 (\"{parser}\"): one bad invoice took the whole import down, and the results \
                 of every other invoice were lost with it; turn what each task hands back into \
                 that invoice's own result instead of unwrapping it",
                if PANICS.contains(parser) {
                    "crashed on"
                } else {
                    "rejected"
                },
            ))
        })
        .on_never_woken("import_all never finished: await each invoice's task, and nothing else");
    let results = if spawned {
        runtime.run_spawned(make)
    } else {
        runtime.run(make)
    };
    let task_panics = panics.recorded().into_iter().map(|p| p.message).collect();
    Outcome {
        results,
        task_panics,
        held_back: spawned,
    }
}

/// Whether `got` is the right result for invoice `number`, which the parser treats as `parse`.
fn is_result_of(parse: Parse, number: u32, got: &Result<u64, ImportError>) -> bool {
    match (parse, got) {
        (Parse::Total(cents), Ok(total)) => *total == cents,
        (Parse::Reject(reason), Err(ImportError::Rejected(said))) => said == reason,
        (Parse::Panic(text), Err(ImportError::Crashed(message))) => message.contains(text),
        (Parse::PanicFormatted(text), Err(ImportError::Crashed(message))) => {
            message.contains(&format!("{text} (invoice {number})"))
        }
        _ => false,
    }
}

fn describe(result: &Result<u64, ImportError>) -> String {
    match result {
        Ok(cents) => format!("Ok({cents})"),
        Err(ImportError::Rejected(reason)) => format!("Rejected({reason:?})"),
        Err(ImportError::Crashed(message)) => format!("Crashed({message:?})"),
    }
}

/// Fails unless `import_all` returned one right result per invoice of `batch`, in order.
fn check_results(batch: &[(u32, Parse)], outcome: &Outcome) {
    let results = &outcome.results;
    if results.len() != batch.len() {
        let failing = batch
            .iter()
            .filter(|(n, p)| expected(*p, *n).is_err())
            .count();
        panic!(
            "import_all returned {} result(s) for {} invoices ({failing} of which the parser \
             rejected or crashed on): invoices went missing from the results, so nobody will \
             ever hear what became of them; give every invoice a result of its own, an error \
             if its task failed",
            results.len(),
            batch.len()
        );
    }
    let placed: Vec<Option<usize>> = results
        .iter()
        .map(|got| {
            batch
                .iter()
                .position(|(number, parse)| is_result_of(*parse, *number, got))
        })
        .collect();
    let in_order = placed.iter().enumerate().all(|(i, at)| *at == Some(i));
    let mut seen: Vec<usize> = placed.iter().flatten().copied().collect();
    seen.sort_unstable();
    seen.dedup();
    if !in_order && seen.len() == batch.len() {
        let (first, _) = batch[0];
        let at = placed.iter().position(|&i| i == Some(0)).unwrap_or(0) + 1;
        panic!(
            "the results are not in the invoices' order: the result of invoice {first}, the first \
             one given (its task {}), came back at position {at} of {}: the results are in the order their tasks finished, and nothing says \
             which result belongs to which invoice; keep one result per invoice in the order \
             given (await the handles in that order, or put each result back at its invoice's \
             index)",
            if outcome.held_back {
                "held back until the others had ended"
            } else {
                "among others"
            },
            batch.len()
        );
    }
    for ((number, parse), got) in batch.iter().zip(results) {
        let number = *number;
        match (parse, got) {
            (Parse::Total(cents), Ok(total)) if total == cents => {}
            (Parse::Reject(reason), Err(ImportError::Rejected(said))) if said == reason => {}
            (Parse::Reject(reason), Err(ImportError::Crashed(_))) => panic!(
                "invoice {number} was rejected by the parser (\"{reason}\"), an ordinary \
                 outcome, but import_all reported it as {}: its task turned the rejection into \
                 a panic (an unwrap inside the task?); let the task hand the parser's Err back \
                 as its value, and make it ImportError::Rejected",
                describe(got)
            ),
            (Parse::Panic(_) | Parse::PanicFormatted(_), Err(ImportError::Crashed(message))) => {
                let text = match parse {
                    Parse::Panic(text) => (*text).to_owned(),
                    Parse::PanicFormatted(text) => format!("{text} (invoice {number})"),
                    _ => unreachable!(),
                };
                assert!(
                    message.contains(&text),
                    "the parser panicked on invoice {number} with \"{text}\", but its \
                     ImportError::Crashed says {message:?}: the panic's message was lost, and \
                     with it what the vendor needs to fix; take it from the task's JoinError \
                     (its panic payload is a &str or a String)"
                );
            }
            (Parse::Panic(text) | Parse::PanicFormatted(text), _) => panic!(
                "the parser panicked on invoice {number} (\"{text}…\"), but import_all \
                 reported {}: a task that panicked is ImportError::Crashed, with the panic's \
                 message",
                describe(got)
            ),
            (parse, got) => {
                let want = expected(*parse, number);
                panic!(
                    "invoice {number}: the parser {}, but import_all reported {}; results must \
                     come back in the order the invoices were given, one each",
                    match want {
                        Ok(cents) => format!("found a total of {cents} cents"),
                        Err(what) => what,
                    },
                    describe(got)
                )
            }
        }
    }
}

/// Fails when a task panicked over an invoice the parser only rejected.
fn check_no_panic_over_rejections(outcome: &Outcome) {
    if let Some(panic) = outcome
        .task_panics
        .iter()
        .find(|message| REASONS.iter().any(|reason| message.contains(reason)))
    {
        panic!(
            "a task panicked over an invoice the parser merely rejected ({panic:?}): a \
             rejection is an everyday outcome, not a bug, and a task that panics on it is \
             reported as a crash; return the parser's Err from the task instead of unwrapping it"
        );
    }
}

#[test]
fn a_rejected_invoice_is_that_invoices_error() {
    let batch = [
        (101, Parse::Total(125_000)),
        (102, Parse::Reject(REASONS[0])),
        (103, Parse::Total(99_00)),
    ];
    let outcome = import(&batch);
    check_results(&batch, &outcome);
    check_no_panic_over_rejections(&outcome);
}

#[test]
fn a_parser_crash_is_that_invoices_error() {
    let batch = [
        (204, Parse::Total(4_750)),
        (205, Parse::Panic(PANICS[0])),
        (206, Parse::Total(18_20)),
        (207, Parse::PanicFormatted(PANICS[1])),
    ];
    let outcome = import(&batch);
    check_results(&batch, &outcome);
}

#[test]
fn a_mixed_batch_keeps_every_invoice_in_order() {
    let batch = [
        (9, Parse::PanicFormatted(PANICS[2])),
        (3100, Parse::Reject(REASONS[1])),
        (17, Parse::Total(1)),
        (2, Parse::Reject(REASONS[2])),
        (88, Parse::Panic(PANICS[0])),
        (40_000, Parse::Total(0)),
        (5, Parse::Total(123_456_789)),
    ];
    let outcome = import(&batch);
    check_results(&batch, &outcome);
    check_no_panic_over_rejections(&outcome);
    // Every invoice failing is still a result per invoice.
    let all_bad = [(1, Parse::Panic(PANICS[1])), (2, Parse::Reject(REASONS[0]))];
    let outcome = import(&all_bad);
    check_results(&all_bad, &outcome);
}

#[test]
fn results_keep_the_invoices_order_when_tasks_finish_out_of_order() {
    // On two worker threads, the parse of invoice 301 waits until the parse of 304 is done, so
    // the tasks finish in another order than they were spawned in.
    let batch = [
        (301, Parse::Total(15_00)),
        (302, Parse::Reject(REASONS[2])),
        (303, Parse::Total(2_50)),
        (304, Parse::Total(77_00)),
    ];
    let runtime = real_clock()
        .multi_thread(2)
        .limit(Duration::from_secs(6))
        .allow_blocking(
            "the parse of the first invoice waits on purpose (for at most 2 s) until the other \
             tasks have ended, so that the tasks finish out of order",
        );
    let outcome = import_on(runtime, Some(Duration::from_secs(2)), &batch);
    check_results(&batch, &outcome);
}

#[test]
fn no_invoices_no_results() {
    let outcome = import(&[]);
    assert!(
        outcome.results.is_empty(),
        "no invoices, but import_all returned {} result(s)",
        outcome.results.len()
    );
}
