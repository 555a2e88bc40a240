use crate::support::Pack;

const STATE: &str = ".asynclings-state.txt";

#[test]
fn a_damaged_progress_file_is_reported_once_and_keeps_its_done_marks() {
    let pack = Pack::copy("basic");
    pack.write(
        STATE,
        "# asynclings progress, format 1\ndone passes\n\u{0}\u{7f}garbage\ndone hangs\n",
    );
    let output = pack
        .asynclings(&["list"])
        .status(0)
        .stderr_has(".asynclings-state.txt was damaged (1 unreadable lines, first at line 3): kept 2 done marks")
        .stdout_has("Progress: 2/4")
        .run();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).lines().count(),
        1,
        "one line, not a wall"
    );
    let backups = std::fs::read_dir(pack.path("."))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".asynclings-state.txt.corrupt-")
        })
        .count();
    assert_eq!(backups, 1, "the damaged original is kept");
    // Rebuilt: the next run is quiet.
    let again = pack.asynclings(&["list"]).status(0).run();
    assert!(again.stderr.is_empty());
}

#[test]
fn a_foreign_progress_file_is_replaced_but_kept() {
    let pack = Pack::copy("basic");
    pack.write(STATE, "{\"solved\": [\"passes\"]}");
    pack.asynclings(&["list"])
        .status(0)
        .stderr_has("was not an asynclings progress file")
        .stdout_has("Progress: 0/4")
        .run();
}

#[test]
fn progress_is_written_atomically_and_survives_runs() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["run", "passes"]).status(0).run();
    let state = pack.read(STATE);
    assert!(
        state.starts_with("# asynclings progress, format 1"),
        "{state}"
    );
    assert!(state.contains("done passes"), "{state}");
}
