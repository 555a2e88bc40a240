//! Grades the lazy sends through the grader's gateway, which records each message it received
//! and takes 1 s of virtual time to accept it. The grader makes sends, looks at the quota and
//! at the gateway before polling any, lets the runtime run other tasks (a send that started a
//! task at the call shows itself then), drops some unpolled, and polls the others in an order
//! of its choosing: charges, numbers and deliveries are counted facts.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::Instant;

use crate::exercise::{Gateway, OverQuota, SmsClient};

/// What the operator received: `(number, to, text)`.
type Inbox = Arc<Mutex<Vec<(u32, String, String)>>>;

/// A gateway that takes 1 s to accept a message, recorded in `inbox` once accepted.
fn gateway(inbox: &Inbox) -> Gateway {
    counting_gateway(inbox, &Arc::default())
}

/// `gateway`, counting in `calls` the messages handed to it (accepted or not yet).
fn counting_gateway(inbox: &Inbox, calls: &Arc<AtomicUsize>) -> Gateway {
    let (inbox, calls) = (Arc::clone(inbox), Arc::clone(calls));
    Arc::new(move |number, to, text| {
        calls.fetch_add(1, SeqCst);
        let inbox = Arc::clone(&inbox);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            inbox.lock().unwrap().push((number, to, text));
        })
    })
}

fn received(inbox: &Inbox) -> Vec<(u32, String, String)> {
    inbox.lock().unwrap().clone()
}

fn message(number: u32, to: &str, text: &str) -> (u32, String, String) {
    (number, to.to_owned(), text.to_owned())
}

const FIX: &str = "keep the call free of effects (only copies and Arc clones for the future to \
                   own), and charge and send inside the future, at its first poll";

#[test]
fn making_a_send_does_nothing_until_it_is_polled() {
    let inbox = Inbox::default();
    let client_inbox = Arc::clone(&inbox);
    let (made, after_yield, dropped_one, results, sent) = paused_clock()
        .limit(Duration::from_secs(3))
        .run(move || async move {
            let client = SmsClient::new(5, gateway(&client_inbox));
            let reminder = client.send("+3161234", "dentist at 9");
            let promo = client.send("+3162345", "50% off");
            let alarm = client.send("+3163456", "server down");
            let made = (client.sent(), received(&client_inbox).len());
            // Other tasks run meanwhile; none of these sends has been polled.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let after_yield = (client.sent(), received(&client_inbox).len());
            drop(promo);
            tokio::time::sleep(Duration::from_secs(5)).await;
            let dropped_one = (client.sent(), received(&client_inbox).len());
            let alarm = alarm.await;
            let reminder = reminder.await;
            (made, after_yield, dropped_one, (alarm, reminder), client.sent())
        });
    assert!(
        made.0 == 0,
        "3 sends were made and none was polled yet, but the quota was already charged for {} \
         message(s): the charge ran at the call of send, not at the first poll of its future; \
         {FIX}",
        made.0
    );
    assert!(
        after_yield == (0, 0),
        "3 sends were made and none was polled, yet 5 s later {} had been charged and {} had \
         reached the gateway: their work ran at the call, in a task of their own, which does \
         not wait for anyone to poll the future; {FIX}",
        after_yield.0,
        after_yield.1
    );
    assert!(
        dropped_one == (0, 0),
        "a send was dropped before it was ever polled, yet {} message(s) were charged and {} \
         reached the gateway; {FIX}",
        dropped_one.0,
        dropped_one.1
    );
    assert_eq!(
        results,
        (Ok(1), Ok(2)),
        "the send to +3163456, made last but polled first, must be message 1, and the one to \
         +3161234 message 2: messages are numbered in the order they are sent (first polled), \
         not the order the futures were made; {FIX}"
    );
    assert_eq!(
        received(&inbox),
        [
            message(1, "+3163456", "server down"),
            message(2, "+3161234", "dentist at 9")
        ],
        "the gateway must receive exactly the two sends that were awaited, in the order they \
         were polled (the dropped send never)"
    );
    assert_eq!(sent, 2, "sent() must count the two messages that went out");
}

#[test]
fn the_quota_is_checked_and_charged_at_the_first_poll() {
    let inbox = Inbox::default();
    let client_inbox = Arc::clone(&inbox);
    let (charged_at_first_poll, results, sent) = paused_clock()
        .limit(Duration::from_secs(3))
        .run(move || async move {
            let calls = Arc::new(AtomicUsize::new(0));
            let client = SmsClient::new(2, counting_gateway(&client_inbox, &calls));
            let first = client.send("+4470001", "one");
            let second = client.send("+4470002", "two");
            let mut third = pin!(client.send("+4470003", "three"));
            // One poll of the third: it is at the gateway (which takes 1 s) by then.
            let polled = futures::poll!(third.as_mut());
            let at_gateway = polled.is_pending() && calls.load(SeqCst) == 1;
            let charged_at_first_poll = (at_gateway, client.sent());
            // join! polls them in this order: third, first, second.
            let results = futures::join!(third, first, second);
            (charged_at_first_poll, results, client.sent())
        });
    if charged_at_first_poll == (true, 0) {
        panic!(
            "after its first poll, a send was waiting for the gateway (which takes 1 s), but \
             sent() still said 0: the quota is charged only once the gateway has accepted the \
             message, so every send polled meanwhile passes the check and takes the same \
             number ({results:?} for a quota of 2, {sent} charged); check the quota and charge \
             it together, before awaiting the gateway"
        );
    }
    if sent > 2 {
        panic!(
            "a quota of 2 let {sent} messages out: the three sends were made while the quota \
             was unused, and each looked at the quota then, but charged it only when polled; \
             check the quota and charge it together, at the first poll"
        );
    }
    assert_eq!(
        results,
        (Ok(1), Ok(2), Err(OverQuota)),
        "with a quota of 2, three sends polled in the order third, first, second must give \
         (Ok(1), Ok(2), Err(OverQuota)): the quota and the numbers go to sends in the order \
         they are first polled; {FIX}"
    );
    assert_eq!(
        received(&inbox),
        [message(1, "+4470003", "three"), message(2, "+4470001", "one")],
        "the gateway must receive the two sends within the quota, and only those"
    );
}

#[test]
fn a_spawned_send_outlives_its_client() {
    let inbox = Inbox::default();
    let client_inbox = Arc::clone(&inbox);
    let results = paused_clock()
        .limit(Duration::from_secs(3))
        .run(move || async move {
            let client = SmsClient::new(3, gateway(&client_inbox));
            let a = tokio::spawn(client.send("+15550100", "build green"));
            let b = tokio::spawn(client.send("+15550101", "build red"));
            drop(client);
            (a.await.unwrap(), b.await.unwrap())
        });
    assert!(
        results.0 != results.1,
        "two sends spawned as tasks both got {:?}: they took the same number; charge the \
         quota and take the number together, under one lock, at the first poll",
        results.0
    );
    assert_eq!(
        results,
        (Ok(1), Ok(2)),
        "two sends spawned as tasks, their client dropped meanwhile, must be messages 1 and 2"
    );
    assert_eq!(received(&inbox).len(), 2, "both spawned sends must reach the gateway");
}

#[test]
fn a_used_up_quota_refuses_at_once_without_the_gateway() {
    let inbox = Inbox::default();
    let client_inbox = Arc::clone(&inbox);
    let (result, took, sent) = paused_clock()
        .limit(Duration::from_secs(3))
        .run(move || async move {
            let client = SmsClient::new(0, gateway(&client_inbox));
            let start = Instant::now();
            let result = client.send("+4915100", "hello").await;
            (result, start.elapsed(), client.sent())
        });
    assert_eq!(
        result,
        Err(OverQuota),
        "with a quota of 0, a send must resolve to Err(OverQuota)"
    );
    assert!(
        received(&inbox).is_empty() && sent == 0 && took.is_zero(),
        "with a quota of 0, the refused send took {took:?} of virtual time, charged {sent}, and \
         reached the gateway {} time(s): refuse at once, without the gateway",
        received(&inbox).len()
    );
}
