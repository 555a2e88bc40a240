//! GitHub Classroom autograding: the result a grading step hands to
//! `classroom-resources/autograding-grading-reporter`, which shows it to the student and sends
//! the points to Classroom (docs/classroom.md).
//!
//! The reporter reads, for each runner id listed in its `runners` input, an environment
//! variable `<ID>_RESULTS` holding base64 of `{"version": 1, "status", "max_score", "tests":
//! [{"name", "status", "score", "message"}]}`; it sums the tests' scores and the runners'
//! `max_score`. We print exactly that value, so a workflow passes it through untouched.

use clap::Args;
use serde::Serialize;

use super::schema::{Document, Entry};

/// How points are awarded (`--format classroom` only).
#[derive(Debug, Clone, Copy, Args)]
pub struct Points {
    /// Points for each exercise that passes (default 1)
    #[arg(long, value_name = "N", conflicts_with = "points_per_chapter")]
    pub points_per_exercise: Option<u32>,
    /// Points for each chapter, awarded when every exercise in it passes
    #[arg(long, value_name = "N")]
    pub points_per_chapter: Option<u32>,
}

impl Points {
    pub fn is_set(&self) -> bool {
        self.points_per_exercise.is_some() || self.points_per_chapter.is_some()
    }
}

#[derive(Debug, Serialize)]
struct RunnerResult {
    version: u32,
    status: &'static str,
    max_score: u32,
    tests: Vec<TestResult>,
}

#[derive(Debug, Serialize)]
struct TestResult {
    name: String,
    status: &'static str,
    score: u32,
    message: String,
}

/// The base64 value for the reporter, on one line.
pub fn render(document: &Document, points: Points) -> String {
    let tests = match points.points_per_chapter {
        Some(per_chapter) => by_chapter(&document.results, per_chapter),
        None => document
            .results
            .iter()
            .map(|entry| {
                test(
                    entry.name.clone(),
                    entry.ok,
                    points.points_per_exercise.unwrap_or(1),
                    entry.message.clone().unwrap_or_default(),
                )
            })
            .collect(),
    };
    let result = RunnerResult {
        version: 1,
        status: if tests.iter().all(|t| t.status == "pass") {
            "pass"
        } else {
            "fail"
        },
        max_score: tests.iter().map(|t| t.score_if_passed).sum(),
        tests: tests.into_iter().map(|t| t.result).collect(),
    };
    let json = serde_json::to_string(&result).expect("the result serializes");
    base64(json.as_bytes())
}

struct Scored {
    status: &'static str,
    score_if_passed: u32,
    result: TestResult,
}

fn test(name: String, passed: bool, points: u32, message: String) -> Scored {
    let status = if passed { "pass" } else { "fail" };
    Scored {
        status,
        score_if_passed: points,
        result: TestResult {
            name,
            status,
            score: if passed { points } else { 0 },
            message,
        },
    }
}

/// One test per chapter, all or nothing; the message names what is still failing.
fn by_chapter(results: &[Entry], points: u32) -> Vec<Scored> {
    let mut chapters: Vec<(&str, Vec<&Entry>)> = Vec::new();
    for entry in results {
        match chapters.iter_mut().find(|(c, _)| *c == entry.chapter) {
            Some((_, entries)) => entries.push(entry),
            None => chapters.push((&entry.chapter, vec![entry])),
        }
    }
    chapters
        .into_iter()
        .map(|(chapter, entries)| {
            let failing: Vec<String> = entries
                .iter()
                .filter(|e| !e.ok)
                .map(|e| format!("{}: {}", e.name, e.message.as_deref().unwrap_or(e.status)))
                .collect();
            let passed = entries.len() - failing.len();
            let message = if failing.is_empty() {
                format!("all {} exercises pass", entries.len())
            } else {
                format!(
                    "{passed} of {} exercises pass; still to do:\n{}",
                    entries.len(),
                    failing.join("\n")
                )
            };
            test(chapter.to_owned(), failing.is_empty(), points, message)
        })
        .collect()
}

/// Standard base64 with padding (RFC 4648), as Node's `Buffer.from(s, "base64")` reads it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }
}
