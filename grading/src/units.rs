//! Figures for verdicts, worded the same way by every helper and grader.

use std::time::Duration;

/// A real-time duration for a verdict: "840 ms" below a second, "2.00 s" from a second on.
///
/// ```
/// # use std::time::Duration;
/// # use asynclings_grading::units::format_duration;
/// assert_eq!(format_duration(Duration::from_millis(840)), "840 ms");
/// assert_eq!(format_duration(Duration::from_millis(2000)), "2.00 s");
/// ```
pub fn format_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// An instant or a span of virtual time, as `Timeline` pictures show it: "3.0 s".
///
/// ```
/// # use std::time::Duration;
/// # use asynclings_grading::units::format_seconds;
/// assert_eq!(format_seconds(Duration::from_millis(2950)), "3.0 s");
/// ```
pub fn format_seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// "polled once", "polled 3 times" (also "never polled").
pub fn polled_times(polls: usize) -> String {
    match polls {
        0 => "never polled".to_owned(),
        1 => "polled once".to_owned(),
        n => format!("polled {n} times"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_poll_counts() {
        assert_eq!(polled_times(0), "never polled");
        assert_eq!(polled_times(1), "polled once");
        assert_eq!(polled_times(2), "polled 2 times");
    }
}
