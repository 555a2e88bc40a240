//! `--format json` and `--format junit` of `verify` and `dev check`: a clean stdout, the
//! documented schema (docs/results.md), and JUnit that parses.

use serde_json::Value;

use crate::support::{Pack, stdout};

fn json(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(output)).expect("stdout holds the JSON document and nothing else")
}

fn result<'a>(document: &'a Value, file: &str) -> &'a Value {
    document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"] == file)
        .unwrap_or_else(|| panic!("no result for {file} in {document:#}"))
}

/// The example document in docs/results.md.
fn documented_example() -> Value {
    let doc = std::fs::read_to_string(Pack::root().join("docs/results.md")).unwrap();
    let start = doc
        .find("```json\n")
        .expect("docs/results.md has a json example")
        + 8;
    let end = start + doc[start..].find("```").unwrap();
    serde_json::from_str(&doc[start..end]).expect("the documented example is valid JSON")
}

/// Every object in `actual` has exactly the keys of its counterpart in `documented` (in
/// arrays, every element is compared with the documented first one), so the schema cannot
/// drift from its documentation.
fn same_shape(documented: &Value, actual: &Value, path: &str) {
    match (documented, actual) {
        (Value::Object(doc), Value::Object(act)) => {
            let doc_keys: Vec<&String> = doc.keys().collect();
            let act_keys: Vec<&String> = act.keys().collect();
            assert_eq!(doc_keys, act_keys, "keys of {path}");
            for (key, value) in doc {
                same_shape(value, &act[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(doc), Value::Array(act)) => {
            if let Some(documented) = doc.first() {
                for (i, element) in act.iter().enumerate() {
                    same_shape(documented, element, &format!("{path}[{i}]"));
                }
            }
        }
        _ => {}
    }
}

#[test]
fn verify_json_is_the_documented_document_alone_on_stdout() {
    let pack = Pack::copy("basic");
    let output = pack
        .asynclings(&["verify", "--format", "json"])
        .status(1)
        .stderr_has("1 of 4 exercises pass.")
        .stdout_lacks("1 of 4 exercises pass.")
        .run();
    let document = json(&output);
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["command"], "verify");
    assert_eq!(document["ok"], false);
    let summary = &document["summary"];
    for (key, count) in [
        ("total", 4),
        ("ok", 1),
        ("not_ok", 3),
        ("pass", 1),
        ("fail", 1),
        ("compile_error", 1),
        ("timeout", 1),
        ("tampered", 0),
    ] {
        assert_eq!(summary[key], count, "summary.{key}");
    }
    for (name, status) in [
        ("passes", "pass"),
        ("fails_check", "fail"),
        ("compile_error", "compile-error"),
        ("hangs", "timeout"),
    ] {
        let entry = result(&document, &format!("exercises/01_demo/{name}.rs"));
        assert_eq!(entry["name"], name);
        assert_eq!(entry["chapter"], "01_demo");
        assert_eq!(entry["role"], "exercise");
        assert_eq!(entry["status"], status);
        assert_eq!(entry["expected"], "pass");
        assert_eq!(entry["ok"], status == "pass");
    }
    let failing = result(&document, "exercises/01_demo/fails_check.rs");
    assert!(failing["message"].as_str().unwrap().starts_with(
        "answers_forty_two: assertion `left == right` failed: the answer is off by one"
    ));
    let check = &failing["checks"][0];
    assert_eq!(check["name"], "answers_forty_two");
    assert_eq!(check["status"], "fail");
    assert_eq!(
        check["location"],
        "tests/graders/01_demo/fails_check.rs:5:5"
    );
    assert!(check["output"].as_str().unwrap().contains("thinking hard"));
    assert!(
        failing["verdict"]
            .as_str()
            .unwrap()
            .contains("✗ answers forty two")
    );
    let diagnostic = &result(&document, "exercises/01_demo/compile_error.rs")["diagnostics"][0];
    assert_eq!(diagnostic["code"], "E0308");
    let rendered = diagnostic["rendered"].as_str().unwrap();
    assert!(rendered.contains("expected `u32`, found `&str`") && !rendered.contains('\u{1b}'));
    assert_eq!(
        result(&document, "exercises/01_demo/hangs.rs")["checks"][0]["status"],
        "timeout"
    );
    same_shape(&documented_example(), &document, "document");
}

#[test]
fn dev_check_json_says_which_requirement_each_file_missed() {
    let pack = Pack::copy("basic");
    let output = pack
        .asynclings(&["dev", "check", "--format", "json"])
        .status(1)
        .stderr_has("✗ every exercise fails as shipped")
        .run();
    let document = json(&output);
    assert_eq!(document["command"], "dev check");
    assert_eq!(document["ok"], false);
    let shipped = result(&document, "exercises/01_demo/passes.rs");
    assert_eq!(shipped["role"], "exercise");
    assert_eq!(shipped["expected"], "not-pass");
    assert_eq!(shipped["ok"], false);
    assert_eq!(
        shipped["message"],
        "passes as shipped: nothing for the learner to fix"
    );
    let solution = result(&document, "solutions/01_demo/hangs.rs");
    assert_eq!(
        (solution["role"].as_str(), solution["ok"].as_bool()),
        (Some("solution"), Some(true))
    );
    let fixture = result(
        &document,
        "tests/wrong_fixes/01_demo/hangs/still_pending.rs",
    );
    assert_eq!(fixture["role"], "wrong-fix");
    assert_eq!(fixture["expected"], "timeout");
    assert_eq!(fixture["status"], "timeout");
    assert_eq!(fixture["ok"], true);
    let findings = document["findings"].as_array().unwrap();
    let shipped_claim = findings
        .iter()
        .find(|f| f["claim"] == "every exercise fails as shipped")
        .unwrap();
    assert_eq!(shipped_claim["ok"], false);
    assert_eq!(
        shipped_claim["problems"][0],
        "exercises/01_demo/passes.rs passes as shipped: nothing for the learner to fix"
    );
    assert_eq!(
        document["summary"]["total"], 12,
        "4 exercises, 4 solutions, 4 wrong fixes"
    );
    same_shape(&documented_example(), &document, "document");
}

#[test]
fn verify_junit_has_a_suite_per_chapter_and_a_failure_per_failing_exercise() {
    let pack = Pack::copy("basic");
    let output = pack
        .asynclings(&["verify", "--format", "junit"])
        .status(1)
        .stderr_has("1 of 4 exercises pass.")
        .run();
    let xml = stdout(&output);
    let report = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = report.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("3"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some("01_demo"));
    let case = |name: &str| {
        suites[0]
            .children()
            .find(|n| n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name} in\n{xml}"))
    };
    assert!(case("passes").children().all(|n| !n.is_element()));
    let failure = case("fails_check")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("fail"));
    assert!(failure.attribute("message").unwrap().contains("off by one"));
    assert!(failure.text().unwrap().contains("│ thinking hard"));
    assert_eq!(
        case("fails_check").attribute("file"),
        Some("exercises/01_demo/fails_check.rs")
    );
    let compile = case("compile_error")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(compile.attribute("type"), Some("compile-error"));
    assert!(compile.text().unwrap().contains("pub fn broken() -> u32"));
}

#[test]
fn dev_check_junit_reports_course_claims_and_every_graded_file() {
    let pack = Pack::copy("basic");
    let output = pack
        .asynclings(&["dev", "check", "--format", "junit"])
        .status(1)
        .run();
    let xml = stdout(&output);
    let report = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let course = report
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("course"))
        .unwrap();
    let failed: Vec<&str> = course
        .children()
        .filter(|c| c.children().any(|f| f.has_tag_name("failure")))
        .filter_map(|c| c.attribute("name"))
        .collect();
    assert_eq!(failed, ["every exercise fails as shipped"]);
    let names: Vec<&str> = report
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    for name in [
        "passes (as shipped)",
        "passes (solution)",
        "hangs (wrong fix still_pending)",
    ] {
        assert!(
            names.contains(&name),
            "no testcase {name:?} among {names:?}"
        );
    }
}

#[test]
fn when_it_cannot_run_stdout_stays_empty_and_the_status_says_so() {
    let pack = Pack::copy("basic");
    pack.write("info.toml", "format = 1\n[[exercises]]\nname = 3\n");
    let output = pack
        .asynclings(&["verify", "--format", "json"])
        .status(3)
        .stderr_has("info.toml:3:8")
        .run();
    assert!(stdout(&output).is_empty());
    pack.asynclings(&["verify", "--format", "yaml"])
        .status(2)
        .stderr_has("invalid value 'yaml'")
        .run();
}
