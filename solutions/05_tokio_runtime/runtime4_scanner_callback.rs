//! The solved program: the exercise's story, fixed, so learners can compare.
// asynclings:scaffold: write the solution here (the exercise's public API), then delete this line.

pub async fn run() -> u32 {
    0
}
