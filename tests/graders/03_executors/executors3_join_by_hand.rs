//! Grades `Join2` by polling it by hand, as an executor would, around two fetches the grader
//! scripts: each is ready after a chosen number of events, which the grader fires one at a
//! time by waking the fetch's stored waker. The facts that decide: which fetch each poll of
//! `Join2` polled, polls after `Ready`, outputs dropped before `Join2` was ready (they count
//! their drops), and whether `Join2`'s own waker was woken. The dashboard runs on a paused
//! clock with a `Timeline`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Join2, dashboard, join2};

const WEATHER: &str = "sunny, 21 °C";
const TRAFFIC: &str = "A10 jammed";
/// More polls of `Join2` than any check needs.
const POLL_CAP: usize = 20;

/// A fetched report that counts its drops, so that a lost output is a fact.
struct Report {
    text: &'static str,
    record: Arc<FetchRecord>,
}

impl Drop for Report {
    fn drop(&mut self) {
        self.record.outputs_dropped.fetch_add(1, SeqCst);
    }
}

/// What happened to one fetch.
#[derive(Default)]
struct FetchRecord {
    polls: AtomicUsize,
    polls_after_ready: AtomicUsize,
    /// Events fired so far; the fetch is ready once `needs` have been.
    events: AtomicUsize,
    /// `Join2`'s poll (1, 2, ...) that first polled this fetch, and the one it was ready at.
    first_polled_at: AtomicUsize,
    ready_at: AtomicUsize,
    outputs_dropped: AtomicUsize,
    waker: Mutex<Option<Waker>>,
    /// `Join2`'s poll in progress, set by the bench.
    join_poll: Arc<AtomicUsize>,
}

impl FetchRecord {
    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }

    fn is_ready(&self) -> bool {
        self.ready_at.load(SeqCst) > 0
    }
}

/// A fetch from a slow service, ready after `needs` events that the grader fires.
struct Fetch {
    needs: usize,
    output: Option<Report>,
    record: Arc<FetchRecord>,
}

impl Future for Fetch {
    type Output = Report;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Report> {
        let this = self.get_mut();
        let record = &this.record;
        let join_poll = record.join_poll.load(SeqCst);
        if record.is_ready() {
            // Like a fused future: never ready twice, and nothing will wake it.
            record.polls_after_ready.fetch_add(1, SeqCst);
            return Poll::Pending;
        }
        if record.polls.fetch_add(1, SeqCst) == 0 {
            record.first_polled_at.store(join_poll, SeqCst);
        }
        if record.events.load(SeqCst) >= this.needs {
            record.ready_at.store(join_poll, SeqCst);
            let report = this.output.take().expect("a fetch is ready once");
            return Poll::Ready(report);
        }
        *record.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// `Join2` of a weather and a traffic fetch, polled by hand with a counting waker.
struct Bench {
    join: Pin<Box<Join2<Fetch, Fetch>>>,
    counting: CountingWaker,
    join_poll: Arc<AtomicUsize>,
    weather: Arc<FetchRecord>,
    traffic: Arc<FetchRecord>,
    /// `Join2`'s latest poll woke its own task (the fetches never wake during a poll).
    woke_itself: bool,
}

fn fetch(text: &'static str, needs: usize, join_poll: &Arc<AtomicUsize>) -> Fetch {
    let record = Arc::new(FetchRecord {
        join_poll: Arc::clone(join_poll),
        ..FetchRecord::default()
    });
    Fetch {
        needs,
        output: Some(Report {
            text,
            record: Arc::clone(&record),
        }),
        record,
    }
}

impl Bench {
    /// The weather needs `weather_needs` events, the traffic `traffic_needs`.
    fn new(weather_needs: usize, traffic_needs: usize) -> Self {
        let join_poll = Arc::new(AtomicUsize::new(0));
        let weather = fetch(WEATHER, weather_needs, &join_poll);
        let traffic = fetch(TRAFFIC, traffic_needs, &join_poll);
        let (weather_record, traffic_record) =
            (Arc::clone(&weather.record), Arc::clone(&traffic.record));
        Bench {
            join: Box::pin(join2(weather, traffic)),
            counting: CountingWaker::new(),
            join_poll,
            weather: weather_record,
            traffic: traffic_record,
            woke_itself: false,
        }
    }

    fn fetches(&self) -> [(&'static str, &FetchRecord); 2] {
        [("weather", &self.weather), ("traffic", &self.traffic)]
    }

    fn join_polls(&self) -> usize {
        self.join_poll.load(SeqCst)
    }

    /// Polls `Join2` once; then checks that it lost no output and polled no finished fetch.
    fn poll(&mut self) -> Result<Option<(Report, Report)>, String> {
        let poll = self.join_poll.fetch_add(1, SeqCst) + 1;
        let wakes_before = self.counting.wake_count();
        let result = self.join.as_mut().poll(&mut self.counting.context());
        self.woke_itself = self.counting.wake_count() > wakes_before;
        for (name, fetch) in self.fetches() {
            let dropped = fetch.outputs_dropped.load(SeqCst);
            if dropped > 0 && result.is_pending() {
                return Err(format!(
                    "lost the {name} fetch's output: it returned Ready at Join2's poll {}, and \
                     Join2 dropped that output and returned Pending (the other fetch was still \
                     running); keep each output until the other future has finished too",
                    fetch.ready_at.load(SeqCst)
                ));
            }
            let after = fetch.polls_after_ready.load(SeqCst);
            if after > 0 {
                return Err(format!(
                    "polled the {name} fetch again after it had returned Ready: it finished at \
                     Join2's poll {}, and Join2's poll {poll} polled it once more (a finished \
                     async block panics then; others hang or misbehave); remember which future \
                     has finished and poll only the other one",
                    fetch.ready_at.load(SeqCst)
                ));
            }
        }
        Ok(match result {
            Poll::Ready(outputs) => Some(outputs),
            Poll::Pending => None,
        })
    }

    /// Fires the next event of a fetch that waits for one (the weather's first), and checks
    /// that `Join2`'s task was woken.
    fn fire_next(&mut self) -> Result<(), String> {
        let waiting = self
            .fetches()
            .into_iter()
            .find(|(_, f)| !f.is_ready() && f.polls() > 0 && f.waker.lock().unwrap().is_some());
        let Some((name, fetch)) = waiting else {
            let never: Vec<&str> = self
                .fetches()
                .into_iter()
                .filter(|(_, f)| f.polls() == 0)
                .map(|(name, _)| name)
                .collect();
            return Err(if never.is_empty() {
                self.pending_with_both_verdict(&format!(
                    "Join2 returned Pending at its poll {} although both fetches had returned \
                     Ready",
                    self.join_polls()
                ))
            } else {
                format!(
                    "Join2 returned Pending at its poll {} without polling the {} fetch, and \
                     nothing else waits: nothing will ever wake the task; poll every future \
                     that has not finished",
                    self.join_polls(),
                    never.join(" and ")
                )
            });
        };
        let wakes_before = self.counting.wake_count();
        fetch.events.fetch_add(1, SeqCst);
        let waker = fetch.waker.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
        }
        if self.counting.wake_count() == wakes_before {
            return Err(format!(
                "the {name} fetch woke the waker it was polled with, but Join2's task was not \
                 woken: pass Join2's own cx on to the futures it polls"
            ));
        }
        Ok(())
    }

    /// Why `Join2` returned Pending with both outputs in hand (`what` says when): it woke
    /// itself to be polled once more, or nothing would ever poll it again.
    fn pending_with_both_verdict(&self, what: &str) -> String {
        if self.woke_itself {
            format!(
                "{what}, and woke its own task instead, to return them at the poll after: \
                 Join2 is ready one poll late; return Ready at the very poll where the second \
                 future finishes"
            )
        } else {
            format!(
                "{what}, and nothing would wake the task again: return Ready at the poll where \
                 both have finished"
            )
        }
    }

    /// Polls and fires events until `Join2` is ready.
    fn run_to_end(&mut self) -> Result<(Report, Report), String> {
        for _ in 0..POLL_CAP {
            if let Some(outputs) = self.poll()? {
                return Ok(outputs);
            }
            self.fire_next()?;
        }
        Err(format!(
            "Join2 was still pending after {POLL_CAP} polls, each after a wake-up: weather \
             polled {}, ready: {}; traffic polled {}, ready: {}; return Ready once both have \
             finished",
            self.weather.polls(),
            self.weather.is_ready(),
            self.traffic.polls(),
            self.traffic.is_ready()
        ))
    }
}

/// Runs a hand-polling check on its own thread, so that a poll that never returns is named.
fn guarded<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> T {
    run_with_watchdog(
        Duration::from_secs(1),
        "a poll of Join2 never returned: it waits inside poll (a loop until a future is \
         ready?) and blocks the executor's thread; poll each future once and return Pending",
        check,
    )
}

fn assert_outputs((weather, traffic): &(Report, Report)) {
    assert!(
        weather.text == WEATHER && traffic.text == TRAFFIC,
        "Join2 resolved to ({:?}, {:?}), not ({WEATHER:?}, {TRAFFIC:?}): the first output \
         comes from the first future, whichever finished first",
        weather.text,
        traffic.text
    );
}

#[test]
fn polls_both_fetches_at_the_first_poll() {
    guarded(|| {
        let mut bench = Bench::new(2, 1);
        let first = bench.poll().unwrap_or_else(|verdict| panic!("{verdict}"));
        assert!(
            first.is_none(),
            "Join2 was ready at its first poll though the weather fetch was not"
        );
        let (weather, traffic) = (bench.weather.polls(), bench.traffic.polls());
        if weather == 1 && traffic == 1 {
            return;
        }
        let (polled, skipped, skipped_record) = if weather == 0 {
            ("traffic", "weather", Arc::clone(&bench.weather))
        } else {
            ("weather", "traffic", Arc::clone(&bench.traffic))
        };
        // Play on, to see when the skipped fetch was started.
        let _ = bench.fire_next();
        for _ in 0..POLL_CAP {
            if skipped_record.polls() > 0 || !matches!(bench.poll(), Ok(None)) {
                break;
            }
            if bench.fire_next().is_err() {
                break;
            }
        }
        let started = match skipped_record.first_polled_at.load(SeqCst) {
            0 => format!(
                "still not polled after {} polls of Join2",
                bench.join_polls()
            ),
            at => {
                format!("first polled at Join2's poll {at}, once the {polled} fetch had finished")
            }
        };
        panic!(
            "the first poll of Join2 polled the {polled} fetch but not the {skipped} fetch \
             ({started}): the two ran one after the other; a join polls both futures from its \
             first poll on"
        );
    });
}

#[test]
fn never_polls_a_finished_fetch_again() {
    let weather_polls = guarded(|| {
        let mut bench = Bench::new(0, 3);
        let outputs = bench
            .run_to_end()
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        assert_outputs(&outputs);
        bench.weather.polls()
    });
    assert!(
        weather_polls == 1,
        "the weather fetch, ready at its first poll, was polled {weather_polls} times"
    );
}

#[test]
fn keeps_the_output_of_the_fetch_that_finishes_first() {
    guarded(|| {
        let mut bench = Bench::new(2, 0);
        let outputs = bench
            .run_to_end()
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        assert_outputs(&outputs);
        assert!(
            bench.join_polls() == 3,
            "Join2 needed {} polls for a weather fetch ready at its third poll{}: return Ready \
             at the poll where the second future finishes",
            bench.join_polls(),
            if bench.woke_itself {
                " (it woke its own task to be polled once more: ready one poll late)"
            } else {
                ""
            }
        );
    });
}

#[test]
fn is_ready_at_once_when_both_are() {
    guarded(|| {
        let mut bench = Bench::new(0, 0);
        let first = bench.poll().unwrap_or_else(|verdict| panic!("{verdict}"));
        let outputs = first.unwrap_or_else(|| {
            panic!(
                "{}",
                bench.pending_with_both_verdict(&format!(
                    "both fetches were ready at their first poll (weather polled {}, traffic \
                     {}), but Join2 returned Pending",
                    bench.weather.polls(),
                    bench.traffic.polls()
                ))
            )
        });
        assert_outputs(&outputs);
    });
}

#[test]
fn dashboard_fetches_both_at_the_same_time() {
    let headline = paused_clock()
        .limit(Duration::from_secs(1))
        .explain_panics(|message| {
            message.contains("resumed after completion").then(|| {
                "Join2 polled a fetch again after it had finished, and an async block panics \
                 when resumed after completion: remember which future has finished and poll \
                 only the other one"
                    .to_owned()
            })
        })
        .run(|| async {
            let timeline = Timeline::new();
            let weather = timeline.op("weather", async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                WEATHER.to_owned()
            });
            let traffic = timeline.op("traffic", async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                TRAFFIC.to_owned()
            });
            let headline = dashboard(weather, traffic).await;
            timeline
                .check_all_at_once(
                    Duration::from_millis(500),
                    "a join polls both futures from its first poll on",
                )
                .unwrap_or_else(|verdict| panic!("{verdict}"));
            headline
        });
    assert_eq!(
        headline,
        format!("{WEATHER} · {TRAFFIC}"),
        "the dashboard's headline is wrong: keep `dashboard` as it was"
    );
}
