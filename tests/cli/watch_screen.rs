//! watch on a real terminal (a pseudo-terminal at 80×24 and 40×8): what fits, what is never
//! executed, which keys mean what, and how it shares the terminal with the shell.

use std::time::Duration;

use crate::pty::{Tty, process_state};
use crate::support::Pack;

const XTERM: &str = "xterm-256color";
const WIDE: (u16, u16) = (80, 24);
const SMALL: (u16, u16) = (40, 8);

/// A hint long enough to need several rows at 40 columns, and six at 80 would still fit.
const LONG_HINT: &str = "Count the answer again: the grader compares it with forty-two, and the shipped file returns one less. Change the number in answer(), save, and watch grades it again within a second.";

/// The basic pack with `fails_check` current and a long first hint.
fn failing_pack() -> Pack {
    let pack = Pack::copy("basic");
    let info = pack.read("info.toml").replace(
        "hints = [\"Count again.\", \"The answer is 42.\"]",
        &format!("hints = [{LONG_HINT:?}, \"The answer is 42.\"]"),
    );
    pack.write("info.toml", &info);
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent fails_check\n",
    );
    pack
}

fn hints_recorded(pack: &Pack) -> bool {
    pack.read(".asynclings-state.txt")
        .contains("hints fails_check")
}

#[test]
fn at_80x24_the_hint_and_the_failure_both_show_and_the_hint_counts() {
    let pack = failing_pack();
    let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("fails 1 of 2 checks");
    tty.press("h");
    let screen = tty.wait_for("Hint 1 of 2:");
    assert!(screen.contains("answers forty two"), "{screen}");
    assert!(screen.contains("the answer is off by one"), "{screen}");
    assert!(screen.contains("again within a second."), "{screen}");
    assert!(tty.row(0).starts_with("asynclings watch"), "{screen}");
    // Words are not broken at the edge: every row of the hint ends at a word.
    for row in screen.lines() {
        assert!(row.chars().count() <= 80, "{row}");
    }
    assert!(!screen.contains("forty-tw\n"), "{screen}");
    wait_until(|| hints_recorded(&pack), "the hint to be recorded");
}

#[test]
fn at_40x8_the_header_stays_and_a_hint_that_does_not_fit_is_not_counted() {
    let pack = failing_pack();
    let mut tty = Tty::start(&pack.path("."), &["watch"], SMALL, XTERM, &[]);
    let screen = tty.wait_for("fails 1 of 2");
    assert!(tty.row(0).starts_with("asynclings watch"), "{screen}");
    assert!(screen.contains("fails_check"), "{screen}");
    tty.press("h");
    let screen = tty.wait_for("Hint 1 of 2:");
    assert!(screen.contains("enlarge the terminal"), "{screen}");
    assert!(tty.row(0).starts_with("asynclings watch"), "{screen}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !hints_recorded(&pack),
        "a hint cut short was counted as used:\n{}",
        pack.read(".asynclings-state.txt")
    );
    // Made taller, the whole hint shows, and then it counts.
    tty.resize(WIDE);
    tty.wait_for("again within a second.");
    wait_until(|| hints_recorded(&pack), "the hint to be recorded");
}

#[test]
fn h_past_the_last_hint_says_so() {
    let pack = failing_pack();
    let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("fails 1 of 2");
    tty.press("h");
    tty.wait_for("Hint 1 of 2:");
    tty.press("h");
    tty.wait_for("Hint 2 of 2:");
    tty.press("h");
    tty.wait_for("that was the last hint (2 of 2)");
}

#[test]
fn program_output_is_shown_as_text_never_run_as_terminal_commands() {
    let pack = failing_pack();
    pack.write(
        "exercises/01_demo/fails_check.rs",
        "pub fn answer() -> u32 {\n    print!(\"\\x1b[2J\\x1b]2;PWNED\\x07\\x1b[31mred\\tTAB\\r\\n\");\n    41\n}\n",
    );
    let tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    let screen = tty.wait_for("fails 1 of 2");
    let screen = if screen.contains("␛[2J") {
        screen
    } else {
        tty.wait_for("␛[2J")
    };
    assert!(screen.contains("␛]2;PWNED␇␛[31mred"), "{screen}");
    assert!(
        screen.contains("red  TAB"),
        "the tab expanded to the next stop:\n{screen}"
    );
    assert!(tty.row(0).starts_with("asynclings watch"), "{screen}");
    let raw = String::from_utf8_lossy(&tty.raw()).into_owned();
    assert!(
        !raw.contains("\u{1b}]2;PWNED"),
        "the title sequence reached the terminal"
    );
    assert!(!raw.contains("\u{7}"), "a bell reached the terminal");
}

#[test]
fn a_dumb_or_unknown_terminal_gets_plain_lines_without_escape_sequences() {
    for term in ["dumb", "no-such-terminal-anywhere"] {
        let pack = failing_pack();
        let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, term, &[]);
        tty.wait_for("verdict fails_check fail");
        tty.press("h\n");
        tty.wait_for("hint fails_check 1/2");
        tty.press("q\n");
        assert_eq!(tty.wait_exit(), 0);
        let raw = tty.raw();
        let escapes = raw.iter().filter(|&&b| b == 0x1b).count();
        assert_eq!(
            escapes,
            0,
            "TERM={term}: escape sequences in\n{}",
            String::from_utf8_lossy(&raw)
        );
        // A person reads it: the verdict is there in full.
        assert!(
            tty.screen().contains("the answer is off by one")
                || String::from_utf8_lossy(&raw).contains("the answer is off by one")
        );
    }
}

#[test]
fn hyperlinks_only_where_supported_with_percent_encoded_paths() {
    let pack = Pack::copy_at("basic", "my course ü");
    let tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("passes all");
    assert!(!String::from_utf8_lossy(&tty.raw()).contains("\u{1b}]8;"));
    drop(tty);
    let tty = Tty::start(
        &pack.path("."),
        &["watch"],
        WIDE,
        XTERM,
        &[("FORCE_HYPERLINK", "1")],
    );
    tty.wait_for("fails 1 of 2");
    tty.wait_for_output(b"my%20course%20%C3%BC/exercises/01_demo/fails_check.rs\x1b\\");
    assert!(String::from_utf8_lossy(&tty.raw()).contains("\u{1b}]8;;file:///"));
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_fg_redraws() {
    let pack = failing_pack();
    let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("fails 1 of 2");
    assert!(!tty.is_cooked(), "watch runs in raw mode");
    tty.press("\u{1a}");
    wait_until(|| process_state(tty.pid()) == 'T', "watch to stop");
    assert!(tty.is_cooked(), "the terminal was left in raw mode");
    assert!(String::from_utf8_lossy(&tty.raw()).contains("\u{1b}[?25h"));
    let before = tty.raw().len();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(tty.pid()),
        nix::sys::signal::Signal::SIGCONT,
    )
    .unwrap();
    wait_until(|| !tty.is_cooked(), "raw mode again");
    wait_until(
        || String::from_utf8_lossy(&tty.raw()[before..]).contains("asynclings watch"),
        "a redraw",
    );
    tty.wait_for("fails 1 of 2");
}

#[test]
fn ctrl_letters_are_not_the_bare_keys() {
    let pack = failing_pack();
    let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("fails 1 of 2");
    // Ctrl-X, Ctrl-S, Ctrl-N, Ctrl-H… none opens a prompt, a hint or the list.
    tty.press("\u{18}\u{13}\u{e}\u{c}");
    std::thread::sleep(Duration::from_millis(700));
    let screen = tty.screen();
    assert!(!screen.contains("Reset fails_check"), "{screen}");
    assert!(!screen.contains("Hint 1"), "{screen}");
    tty.press("x");
    tty.wait_for("Reset fails_check to its shipped version");
    tty.press("n");
    tty.wait_for("kept exercises/01_demo/fails_check.rs");
    // Ctrl-C quits cleanly, terminal restored.
    tty.press("\u{3}");
    assert_eq!(tty.wait_exit(), 0);
}

#[test]
fn a_long_grade_shows_its_elapsed_time() {
    let pack = Pack::copy("basic");
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent hangs\n",
    );
    let tty = Tty::start(&pack.path("."), &["watch"], SMALL, XTERM, &[]);
    tty.wait_until("an elapsed time on the running row", |screen| {
        screen.contains("running 1 checks… 1 s") || screen.contains("running 1 checks… 2 s")
    });
}

#[test]
fn the_solution_view_shows_what_differs() {
    let pack = Pack::copy("basic");
    pack.write(
        "exercises/01_demo/passes.rs",
        &pack
            .read("exercises/01_demo/passes.rs")
            .replace("x * 2", "x + x"),
    );
    let mut tty = Tty::start(&pack.path("."), &["watch"], WIDE, XTERM, &[]);
    tty.wait_for("passes all");
    tty.press("s");
    let screen = tty.wait_for("What solutions/01_demo/passes.rs does differently");
    assert!(screen.contains("-     x + x"), "{screen}");
    assert!(screen.contains("+     x * 2"), "{screen}");
    assert!(
        !screen.contains("Already solved"),
        "the shared top is not repeated:\n{screen}"
    );
}

fn wait_until(done: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn at_60x15_the_failing_check_gets_the_rows_before_a_passing_one_and_words_stay_whole() {
    let pack = Pack::copy("basic");
    const MESSAGE: &str = "the answer was one less than forty-two: the shipped file subtracts where it should count, so every caller that relies on this value sees an off-by-one result";
    pack.write(
        "tests/graders/01_demo/fails_check.rs",
        &format!(
            "use crate::exercise::answer;\n\n#[test]\nfn a_positive_answer() {{\n    assert!(answer() > 0);\n}}\n\n#[test]\nfn b_the_exact_answer() {{\n    assert!(answer() == 42, {MESSAGE:?});\n}}\n"
        ),
    );
    pack.asynclings(&["dev", "seal"]).status(0).run();
    pack.write(
        ".asynclings-state.txt",
        "# asynclings progress, format 1\ncurrent fails_check\n",
    );
    let mut tty = Tty::start(&pack.path("."), &["watch"], (60, 15), XTERM, &[]);
    let screen = tty.wait_for("fails 1 of 2");
    assert!(tty.row(0).starts_with("asynclings watch"), "{screen}");
    assert!(screen.contains("b the exact answer"), "{screen}");
    let flowing = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flowing.contains(MESSAGE),
        "the failing check's explanation is cut or broken mid-word:\n{screen}"
    );
    for row in screen.lines() {
        assert!(row.chars().count() <= 60, "{row}");
    }
    tty.press("q");
    assert_eq!(tty.wait_exit(), 0);
}
