use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::sample;

/// Below this, tokio's interval does not count a tick as missed; the checks' slow reads
/// overrun by far more, and their normal reads by nothing.
const MISSED_AFTER: Duration = Duration::from_millis(5);

/// What one run of `sample` did, on tokio's clock since it was called.
struct Sampled {
    readings: Vec<f64>,
    /// When each read started.
    starts: Vec<Duration>,
    returned_at: Duration,
}

/// Runs `sample(costs.len(), period, read)` on a paused clock, where read k takes `costs[k]`
/// of tokio time and reads 40.0 + k.
fn run_sampler(period: Duration, costs: Vec<Duration>) -> Sampled {
    paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked("sample blocked the runtime's thread between readings; wait on tokio's timer")
        .on_busy(
            "sample spun between readings instead of waiting (a loop that yields or checks the \
             clock), so tokio's clock could not move on; wait on tokio's timer",
        )
        .would_hang_after(
            Duration::from_secs(3600),
            "every reading's slot comes within one period of the previous reading",
        )
        .run(move || async move {
            let origin = Instant::now();
            let starts = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&starts);
            let count = costs.len();
            let read = move || {
                let log = Arc::clone(&log);
                let costs = costs.clone();
                async move {
                    let k = {
                        let mut log = log.lock().unwrap();
                        log.push(origin.elapsed());
                        log.len() - 1
                    };
                    sleep(costs.get(k).copied().unwrap_or_default()).await;
                    40.0 + k as f64
                }
            };
            let readings = sample(count, period, read).await;
            let returned_at = origin.elapsed();
            let starts = starts.lock().unwrap().clone();
            Sampled {
                readings,
                starts,
                returned_at,
            }
        })
}

/// How a ticker decides the next slot after a tick that came late.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Missed {
    /// Every missed slot fires, back to back (tokio's default).
    Burst,
    /// The schedule starts over from the late tick.
    Delay,
    /// The late tick fires, then back to the original slots.
    Skip,
}

/// When each read starts if `sample` paces them with a ticker that behaves like `missed`
/// (a pure model of the schedule, on tokio's clock).
fn model(period: Duration, costs: &[Duration], missed: Missed) -> Vec<Duration> {
    let mut due = Duration::ZERO;
    let mut free_at = Duration::ZERO;
    let mut starts = Vec::new();
    for cost in costs {
        let fired = due.max(free_at);
        starts.push(fired);
        due = if fired > due + MISSED_AFTER {
            match missed {
                Missed::Burst => due + period,
                Missed::Delay => fired + period,
                Missed::Skip => {
                    let late = (fired - due).as_nanos() % period.as_nanos();
                    fired + period - Duration::from_nanos(late as u64)
                }
            }
        } else {
            due + period
        };
        free_at = fired + *cost;
    }
    starts
}

/// When each read starts if `sample` sleeps `period` after every read.
fn drifting(period: Duration, costs: &[Duration]) -> Vec<Duration> {
    let mut at = Duration::ZERO;
    costs
        .iter()
        .map(|cost| {
            let start = at;
            at += *cost + period;
            start
        })
        .collect()
}

fn ms_list(times: &[Duration]) -> String {
    times
        .iter()
        .map(|t| t.as_millis().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the readings and their start times against the schedule; the verdict says which
/// well-known schedule the learner's code followed instead, when it is one.
fn check_schedule(period: Duration, costs: &[Duration], run: &Sampled) {
    let expected_values: Vec<f64> = (0..costs.len()).map(|k| 40.0 + k as f64).collect();
    assert_eq!(
        run.starts.len(),
        costs.len(),
        "sample(count = {}) read the sensor {} times: read it exactly `count` times",
        costs.len(),
        run.starts.len()
    );
    assert!(
        run.readings == expected_values,
        "sample returned {:?}, but the sensor read {:?}: return every reading, in order",
        run.readings,
        expected_values
    );
    let expected = model(period, costs, Missed::Skip);
    if run.starts == expected {
        return;
    }
    let first_off = (0..expected.len())
        .find(|&k| run.starts[k] != expected[k])
        .expect("the schedules differ");
    let actual = &run.starts;
    let p = period.as_millis();
    if *actual == drifting(period, costs) {
        let last = costs.len() - 1;
        panic!(
            "the schedule drifted: reading {} started at {} ms instead of {} ms; each {p} ms \
             pause began only when the read before it was over, so every reading slipped by the \
             time the reads took; keep a schedule that counts from the start, whatever the \
             reads take",
            last + 1,
            actual[last].as_millis(),
            expected[last].as_millis()
        );
    }
    if first_off > 0 && actual[first_off] - actual[first_off - 1] == costs[first_off - 1] {
        // Started right when the previous read ended: not paced at all, or catching up.
        if *actual == model(period, costs, Missed::Burst) {
            let burst: Vec<Duration> = actual[first_off - 1..]
                .iter()
                .copied()
                .take_while(|&t| t < expected[first_off])
                .collect();
            panic!(
                "caught up in a burst: after the slow read, {} readings started back to back (at \
                 {} ms), one for every slot that passed during it, where one overdue reading and \
                 then the next free slot ({} ms) were expected; tell the schedule what to do \
                 with missed slots",
                burst.len(),
                ms_list(&burst),
                expected[first_off].as_millis()
            );
        }
        let gap = actual[first_off] - actual[first_off - 1];
        panic!(
            "readings were not paced: reading {} started {} ms after the one before, as soon as \
             it was over, where its slot was at {} ms ({p} ms apart); the first tick of a fresh \
             schedule is immediate, so build the schedule once, before the loop",
            first_off + 1,
            gap.as_millis(),
            expected[first_off].as_millis()
        );
    }
    if *actual == model(period, costs, Missed::Delay) {
        panic!(
            "left the original slots after the slow read: readings at {} ms, where the slots \
             are at {} ms; the schedule started over from the late reading instead of going \
             back to multiples of {p} ms from the start",
            ms_list(&actual[first_off..]),
            ms_list(&expected[first_off..])
        );
    }
    if actual[first_off] > expected[first_off] && first_off > 0 {
        // Up to `first_off`, the readings were on schedule: the one before it ended here.
        let ended = actual[first_off - 1] + costs[first_off - 1];
        // The schedule put this reading at the end of that read: the read ran up to its slot
        // (on time, if it ended on the grid) or past it (overdue), and the reading waited.
        if ended == expected[first_off] && ended.as_nanos() % period.as_nanos() == 0 {
            panic!(
                "reading {} started at {} ms, not in its slot at {} ms: the read before it \
                 ended at {} ms, exactly as that slot began, and the slot was treated as \
                 missed; a slot is missed only when it begins while a read is still running, \
                 and a read that ends at the slot's instant is on time",
                first_off + 1,
                actual[first_off].as_millis(),
                expected[first_off].as_millis(),
                ended.as_millis()
            );
        }
        if ended == expected[first_off] {
            panic!(
                "after the slow read (over at {} ms), the overdue reading waited until {} ms \
                 instead of starting at once: a slot that passed during a read is lost, but \
                 the reading that was due starts as soon as the sensor is free",
                ended.as_millis(),
                actual[first_off].as_millis()
            );
        }
    }
    panic!(
        "readings started at {} ms, where the slots ({p} ms apart) called for {} ms",
        ms_list(actual),
        ms_list(&expected)
    );
}

#[test]
fn readings_start_on_a_fixed_grid() {
    const PERIOD: Duration = Duration::from_millis(100);
    let costs = vec![Duration::from_millis(10); 100];
    let run = run_sampler(PERIOD, costs.clone());
    check_schedule(PERIOD, &costs, &run);

    // A read that takes exactly one period ends as the next slot begins: not late. Quick
    // reads in between keep this schedule apart from a drifting one (which, with every read
    // one period long, would start the readings at the same instants as one that treats
    // each on-time slot as missed).
    const SLOW_PERIOD: Duration = Duration::from_millis(250);
    let quick = Duration::from_millis(40);
    let costs = vec![SLOW_PERIOD, quick, SLOW_PERIOD, quick, SLOW_PERIOD];
    let run = run_sampler(SLOW_PERIOD, costs.clone());
    check_schedule(SLOW_PERIOD, &costs, &run);
}

#[test]
fn a_slow_read_loses_its_slots_without_a_burst() {
    const PERIOD: Duration = Duration::from_millis(100);
    let mut costs = vec![Duration::from_millis(10); 7];
    // The third read (due at 200 ms) recalibrates: it is over at 550 ms.
    costs[2] = Duration::from_millis(350);
    let run = run_sampler(PERIOD, costs.clone());
    check_schedule(PERIOD, &costs, &run);
}

#[test]
fn returns_as_soon_as_the_last_reading_is_in() {
    const PERIOD: Duration = Duration::from_millis(200);
    let costs = vec![Duration::from_millis(30); 3];
    let run = run_sampler(PERIOD, costs.clone());
    check_schedule(PERIOD, &costs, &run);
    let last_in = run.starts[2] + costs[2];
    assert!(
        run.returned_at == last_in,
        "sample returned at {} ms, {} ms after the last reading was in (at {} ms): nothing \
         follows the last reading, so there is no slot to wait for",
        run.returned_at.as_millis(),
        run.returned_at.saturating_sub(last_in).as_millis(),
        last_in.as_millis()
    );

    let run = run_sampler(PERIOD, Vec::new());
    assert!(
        run.starts.is_empty() && run.readings.is_empty() && run.returned_at == Duration::ZERO,
        "sample(count = 0) read the sensor {} time(s) and returned after {} ms: it should read \
         nothing and return at once",
        run.starts.len(),
        run.returned_at.as_millis()
    );
}
