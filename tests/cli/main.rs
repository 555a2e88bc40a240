//! asynclings' own tests: the real binary against fixture courses, asserting what a user sees
//! and the exit statuses.

mod pty;
mod support;
mod watching;

mod ci_templates;
mod classroom;
mod course_errors;
mod dev_check;
mod dev_messages;
mod dev_new;
mod dev_rename;
mod guide;
mod hints_and_reset;
mod integrity;
mod learner_output;
mod lints;
mod progress_file;
mod results;
mod run;
mod third_party;
mod verify;
mod watch;
mod watch_files;
mod watch_screen;
mod work_files;
