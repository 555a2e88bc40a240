//! asynclings' own tests: the real binary against fixture courses, asserting what a user sees
//! and the exit statuses.

mod support;
mod watching;

mod course_errors;
mod dev_check;
mod hints_and_reset;
mod lints;
mod progress_file;
mod run;
mod verify;
mod watch;
