//! Hidden tests of `runtime4_scanner_callback`. Each test is a check the learner sees by name: name it after a
//! behaviour, and give every assertion a message that names the async mistake and the fix.
// asynclings:scaffold: write the hidden tests here, then delete this line.

#[allow(unused_imports)] // delete once a helper is used
use asynclings_grading::prelude::*;

use crate::exercise::run;

#[tokio::test(start_paused = true)]
async fn replace_with_a_behaviour() {
    let _answer = run().await;
    todo!("write the hidden tests of `runtime4_scanner_callback` in tests/graders/05_tokio_runtime/runtime4_scanner_callback.rs");
}
