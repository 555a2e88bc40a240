//! Grades the pager through its own channels (`Email`, `Chat`) built on the grader's gateways.
//! A gateway records each call and each send the provider accepted (its future ran to the
//! end), so "never awaited" and "called twice" are counted facts. On a paused clock each send
//! takes a known time and a `Timeline` tells concurrent from one after another; on a 2-worker
//! runtime the gateways meet at a `Rendezvous`, which only channels notified on two threads at
//! once can reach.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Alert, Chat, Email, Gateway, Notifier, Pager};

/// Sends to the provider: who was called, with what, and whether the send was accepted.
#[derive(Clone, Default)]
struct Provider {
    sends: Arc<Mutex<Vec<Sent>>>,
}

#[derive(Clone)]
struct Sent {
    address: String,
    message: String,
    accepted: bool,
}

impl Provider {
    /// A gateway whose send to `address` takes `delay` (virtual time on a paused clock), then
    /// meets the others at `meeting`, if any.
    fn gateway(
        &self,
        timeline: Option<Timeline>,
        delay: Duration,
        meeting: Option<Arc<Rendezvous>>,
    ) -> Gateway {
        let sends = Arc::clone(&self.sends);
        Arc::new(move |address: String, message: String| {
            let index = {
                let mut sends = sends.lock().unwrap_or_else(|e| e.into_inner());
                sends.push(Sent {
                    address: address.clone(),
                    message,
                    accepted: false,
                });
                sends.len() - 1
            };
            let (sends, timeline, meeting) = (Arc::clone(&sends), timeline.clone(), meeting.clone());
            Box::pin(async move {
                let wait = tokio::time::sleep(delay);
                match timeline {
                    Some(timeline) => timeline.op(format!("send to {address}"), wait).await,
                    None => wait.await,
                }
                if let Some(meeting) = meeting {
                    meeting.arrive();
                }
                sends.lock().unwrap_or_else(|e| e.into_inner())[index].accepted = true;
            })
        })
    }

    /// Right after `page` returned the receipts of `alert`: every send it made was accepted.
    fn check_all_accepted(&self, alert: u32) {
        // Copied out, so that no lock is held when the check fails (sends still running must
        // not find it poisoned).
        let sends = self.sends.lock().unwrap().clone();
        let waiting: Vec<&str> = sends
            .iter()
            .filter(|s| !s.accepted)
            .map(|s| s.address.as_str())
            .collect();
        assert!(
            waiting.is_empty(),
            "page returned the receipts of alert {alert} while {} of the {} sends made so far \
             had not been accepted by the provider ({}): dropped without being awaited, or \
             left running on their own; a receipt must mean the message was accepted, so await \
             each send inside the future notify returns, before making its receipt",
            waiting.len(),
            sends.len(),
            waiting.join(", ")
        );
    }

    fn sends_to(&self, address: &str) -> Vec<Sent> {
        let sends = self.sends.lock().unwrap();
        sends.iter().filter(|s| s.address == address).cloned().collect()
    }
}

fn alert(id: u32, text: &str) -> Alert {
    Alert {
        id,
        text: text.to_owned(),
    }
}

/// Checks that the channel at `address` called its gateway `times` times in all, mentioning
/// `text` in its last message, and that every one of its sends was accepted.
fn check_sends(provider: &Provider, channel: &str, address: &str, times: usize, text: &str) {
    let sends = provider.sends_to(address);
    assert!(
        sends.len() == times,
        "the {channel} channel called its gateway {} time(s) over {times} alert(s), not once \
         per alert; call the gateway once in each notification",
        sends.len()
    );
    let unaccepted = sends.iter().filter(|s| !s.accepted).count();
    assert!(
        unaccepted == 0,
        "the {channel} channel called its gateway, but {unaccepted} of its {times} send(s) had \
         not been accepted by the provider when the page was over: the gateway's future was \
         dropped without being awaited (a future does nothing until it is polled), or left \
         running on its own; await the send inside the future notify returns, before the \
         receipt"
    );
    let last = &sends[times - 1].message;
    assert!(
        last.contains(text),
        "the {channel} channel sent {last:?}, which does not mention the alert {text:?}; keep \
         the channels' messages as they were"
    );
}

const OPS: &str = "ops@example.org";
const CTO: &str = "cto@example.org";
const ROOM: &str = "#incidents";

#[test]
fn notifies_every_channel_once_and_returns_the_receipts_in_order() {
    let provider = Provider::default();
    let sent = provider.clone();
    let (first, second) = paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(
            "a channel blocked the runtime's thread while it waited for its gateway (a block_on \
             in notify?): the gateway's send needs that very thread to finish; return a future \
             that awaits the gateway, and let the pager's tasks await it",
        )
        .on_never_woken("the page never finished: a channel's notification waited forever")
        .explain_panics(explain)
        .run(move || async move {
            let timeline = Timeline::new();
            let gateway = |delay| sent.gateway(Some(timeline.clone()), secs(delay), None);
            let mut pager = Pager::default();
            let channels: [Arc<dyn Notifier>; 3] = [
                Arc::new(Email {
                    address: OPS.to_owned(),
                    gateway: gateway(3),
                }),
                Arc::new(Chat {
                    room: ROOM.to_owned(),
                    gateway: gateway(1),
                }),
                Arc::new(Email {
                    address: CTO.to_owned(),
                    gateway: gateway(2),
                }),
            ];
            for channel in channels {
                pager.add(channel);
            }
            let first = pager.page(alert(7, "disk full on db-2")).await;
            sent.check_all_accepted(7);
            timeline
                .check_all_at_once(
                    secs(3),
                    "notify every channel at the same time, each in a task of its own",
                )
                .unwrap_or_else(|verdict| panic!("{verdict}"));
            let second = pager.page(alert(8, "db-2 is back")).await;
            sent.check_all_accepted(8);
            (first, second)
        });
    for (alert, receipts) in [(7, &first), (8, &second)] {
        let expected = vec![
            format!("email {OPS} #{alert}"),
            format!("chat {ROOM} #{alert}"),
            format!("email {CTO} #{alert}"),
        ];
        if receipts.len() == 3 && receipts.iter().all(|r| expected.contains(r)) {
            assert!(
                *receipts == expected,
                "page returned the receipts of alert {alert} as {receipts:?}: in the order the \
                 channels finished (their sends took 3 s, 1 s and 2 s), not the order they were \
                 added; keep each receipt at its channel's place"
            );
        }
        assert_eq!(
            *receipts, expected,
            "page returned the wrong receipts for alert {alert}: one per channel, in the order \
             the channels were added"
        );
    }
    check_sends(&provider, &format!("email {OPS}"), OPS, 2, "db-2 is back");
    check_sends(&provider, &format!("chat {ROOM}"), ROOM, 2, "db-2 is back");
    check_sends(&provider, &format!("email {CTO}"), CTO, 2, "db-2 is back");
}

fn explain(message: &str) -> Option<String> {
    message.contains("spawn_local").then(|| {
        "page spawned the notifications with spawn_local, and tokio panicked: a local task \
         needs a LocalSet on the calling thread, and the pager runs on a plain runtime whose \
         workers all poll tasks; make the future notify returns Send, and spawn it"
            .to_owned()
    })
}

#[test]
fn channels_are_notified_in_parallel_on_a_multi_thread_runtime() {
    let meeting = Rendezvous::new(2, Duration::from_secs(2));
    let provider = Provider::default();
    let (sent, met) = (provider.clone(), Arc::clone(&meeting));
    let receipts = real_clock()
        .multi_thread(2)
        .limit(Duration::from_secs(5))
        .allow_blocking(
            "the gateways wait for each other at a barrier, on purpose: only channels notified \
             on two threads at once meet there",
        )
        .explain_panics(explain)
        .run(move || async move {
            let mut pager = Pager::default();
            for room in ["#db", "#web"] {
                pager.add(Arc::new(Chat {
                    room: room.to_owned(),
                    gateway: sent.gateway(None, Duration::ZERO, Some(Arc::clone(&met))),
                }));
            }
            let receipts = pager.page(alert(501, "error rate above 5 %")).await;
            sent.check_all_accepted(501);
            receipts
        });
    // Both sends end at the same moment here, so only the set of receipts is a fact; their
    // order is checked where the sends end at known, different times.
    let mut sorted = receipts.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["chat #db #501", "chat #web #501"],
        "page returned the wrong receipts on a multi-thread runtime: {receipts:?}; one per \
         channel"
    );
    check_sends(&provider, "chat #db", "#db", 1, "error rate");
    meeting
        .check_met(
            "on a 2-worker runtime the pager notified one channel at a time (futures joined or \
             awaited in one task share its one thread): a slow channel holds up the others; \
             notify each channel in a task of its own (tokio::spawn, which needs the future \
             notify returns to be Send)",
        )
        .unwrap_or_else(|verdict| panic!("the channels were not notified in parallel: {verdict}"));
}

#[test]
fn a_pager_without_channels_returns_no_receipts() {
    let receipts = paused_clock()
        .limit(Duration::from_secs(2))
        .run(|| async { Pager::default().page(alert(0, "nobody listens")).await });
    assert!(
        receipts.is_empty(),
        "a pager with no channel returned {receipts:?}: there is nobody to notify, so no receipt"
    );
}

fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}
