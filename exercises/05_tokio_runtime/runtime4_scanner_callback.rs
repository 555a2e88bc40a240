//! TODO: the story. What this code is for, what goes wrong in async terms (without giving
//! the fix away), and "Done when: ...", the behaviour the hidden tests check.
// asynclings:scaffold: write the learner's broken program here, then delete this line.

/// The function the hidden tests call; the solution and wrong fixes keep its signature.
pub async fn run() -> u32 {
    // TODO: the bug the learner fixes.
    0
}
