//! `verify --format classroom`: the value GitHub Classroom's autograding reporter reads.

use serde_json::Value;

use crate::support::{Pack, stdout};

/// The reporter's input: base64 of a JSON runner result.
fn decode(output: &std::process::Output) -> Value {
    let text = stdout(output);
    let encoded = text.trim();
    assert!(!encoded.contains('\n'), "one line: {text}");
    let digit = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {encoded}"),
    };
    let mut bytes = Vec::new();
    for chunk in encoded.trim_end_matches('=').as_bytes().chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | u32::from(digit(c)) << (18 - 6 * i));
        bytes.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    serde_json::from_slice(&bytes).expect("base64 of JSON")
}

#[test]
fn points_per_exercise_for_each_passing_exercise() {
    let pack = Pack::copy("basic");
    let result = decode(
        &pack
            .asynclings(&[
                "verify",
                "--format",
                "classroom",
                "--points-per-exercise",
                "3",
            ])
            .status(1)
            .stderr_has("1 of 4 exercises pass.")
            .run(),
    );
    assert_eq!(result["version"], 1);
    assert_eq!(result["status"], "fail");
    assert_eq!(result["max_score"], 12);
    let tests = result["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4);
    let passes = tests.iter().find(|t| t["name"] == "passes").unwrap();
    assert_eq!(
        (passes["status"].as_str(), passes["score"].as_u64()),
        (Some("pass"), Some(3))
    );
    let hangs = tests.iter().find(|t| t["name"] == "hangs").unwrap();
    assert_eq!(
        (hangs["status"].as_str(), hangs["score"].as_u64()),
        (Some("fail"), Some(0))
    );
    assert!(
        hangs["message"]
            .as_str()
            .unwrap()
            .contains("did not finish in 2 s")
    );

    let solutions = decode(
        &pack
            .asynclings(&["verify", "--solutions", "--format", "classroom"])
            .status(0)
            .run(),
    );
    assert_eq!(solutions["status"], "pass");
    assert_eq!(solutions["max_score"], 4, "one point each by default");
}

#[test]
fn points_per_chapter_all_or_nothing() {
    let pack = Pack::copy("basic");
    pack.asynclings(&[
        "dev",
        "new",
        "more1_todo",
        "--chapter",
        "02_more",
        "--new-chapter",
    ])
    .status(0)
    .run();
    pack.asynclings(&["dev", "seal"]).status(0).run();
    let result = decode(
        &pack
            .asynclings(&[
                "verify",
                "--solutions",
                "--format",
                "classroom",
                "--points-per-chapter",
                "10",
            ])
            .status(1)
            .run(),
    );
    assert_eq!(result["max_score"], 20);
    let tests = result["tests"].as_array().unwrap();
    let names: Vec<&str> = tests.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["01_demo", "02_more"]);
    assert_eq!(
        (tests[0]["status"].as_str(), tests[0]["score"].as_u64()),
        (Some("pass"), Some(10))
    );
    assert_eq!(
        (tests[1]["status"].as_str(), tests[1]["score"].as_u64()),
        (Some("fail"), Some(0))
    );
    assert!(
        tests[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("0 of 1 exercises pass; still to do:\nmore1_todo: ")
    );
}

#[test]
fn points_go_with_the_classroom_format_only() {
    Pack::copy("basic")
        .asynclings(&["verify", "--points-per-chapter", "5"])
        .status(2)
        .stderr_has("--points-per-exercise and --points-per-chapter go with --format classroom")
        .run();
}
