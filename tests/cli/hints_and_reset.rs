use crate::support::Pack;

#[test]
fn hints_come_one_level_at_a_time() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["hint", "passes"])
        .status(0)
        .stdout_has("Hint 1 of 2 for passes:")
        .stdout_has("It already works.")
        .stdout_lacks("Really.")
        .run();
    pack.asynclings(&["hint", "passes"])
        .status(0)
        .stdout_has("Hint 2 of 2")
        .stdout_has("Really.")
        .stdout_lacks("It already works.")
        .run();
    pack.asynclings(&["hint", "passes", "--all"])
        .status(0)
        .stdout_has("It already works.")
        .stdout_has("Really.")
        .run();
}

#[test]
fn hint_defaults_to_the_current_exercise() {
    let pack = Pack::copy("basic");
    pack.asynclings(&["hint"])
        .status(0)
        .stdout_has("Hint 1 of 2 for passes:")
        .run();
}

#[test]
fn reset_restores_the_shipped_file_and_touches_nothing_else() {
    let pack = Pack::copy("basic");
    pack.sh("git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm shipped");
    let shipped = pack.read("exercises/01_demo/fails_check.rs");
    pack.asynclings(&["run", "passes"]).status(0).run();
    pack.write("exercises/01_demo/fails_check.rs", "// my attempt\n");
    pack.write("exercises/01_demo/hangs.rs", "// another attempt\n");
    pack.asynclings(&["reset", "fails_check"])
        .status(0)
        .stdout_has("Restored exercises/01_demo/fails_check.rs to its shipped version.")
        .run();
    assert_eq!(pack.read("exercises/01_demo/fails_check.rs"), shipped);
    assert_eq!(
        pack.read("exercises/01_demo/hangs.rs"),
        "// another attempt\n"
    );
    pack.asynclings(&["list"])
        .status(0)
        .stdout_has("Progress: 1/4")
        .run();
}

#[test]
fn reset_without_git_history_explains_where_to_look() {
    let pack = Pack::copy("basic");
    pack.write("exercises/01_demo/hangs.rs", "// my attempt\n");
    pack.asynclings(&["reset", "hangs"])
        .status(3)
        .stderr_has("is not a git repository, and git keeps the shipped exercises: clone the course with git (or copy exercises/01_demo/hangs.rs")
        .stderr_has("if you are writing the course, put it in git and commit it first")
        .stderr_has("exercises/01_demo/hangs.rs was left as it is.")
        .run();
    assert_eq!(pack.read("exercises/01_demo/hangs.rs"), "// my attempt\n");
    // A repository that lacks the shipped blob (say, a fresh `git init` over a copy).
    pack.sh("git init -q");
    pack.asynclings(&["reset", "hangs"])
        .status(3)
        .stderr_has(
            "is not in this git repository yet. If you are writing the course, commit it first",
        )
        .stderr_has("exercises/01_demo/hangs.rs was left as it is.")
        .run();
    assert_eq!(pack.read("exercises/01_demo/hangs.rs"), "// my attempt\n");
}
