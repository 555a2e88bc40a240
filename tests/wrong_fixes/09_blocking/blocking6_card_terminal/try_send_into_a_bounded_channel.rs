//! Wrong fix: a bounded tokio channel (32) and try_send with the error ignored: a burst beyond its room is dropped.
// expect fail: the checkout got 32 of them
//! The checkout's card terminal comes with a vendor driver that runs on a thread of its own and
//! reports what happens at the terminal: card inserted, PIN entered, payment approved or
//! declined.
//!
//! `connect()` makes the link: the driver's thread holds the `Terminal` and calls
//! `terminal.report(event)`, which must never block the driver; the checkout's async code holds
//! the `Events` and awaits `events.next()`: the next event, in the order reported, or `None`
//! once the terminal is gone (its `Terminal` dropped). `wait_for_payment` awaits events until
//! the payment is settled. Customers take their time: the next event may be seconds away.
//!
//! Done when: waiting for an event never blocks the runtime's thread (other tasks, like the
//! till's display, keep running), on either kind of runtime; while no event comes, the
//! checkout is not polled again and again; `report` returns at once, even while the checkout
//! reads nothing; events come in order, none lost (not in a burst the checkout is too busy to
//! read, nor when a `next()` is dropped before it returns, as a timeout or a `select!` does),
//! then `None` once the terminal is gone. `connect` is called inside the runtime.

use tokio::sync::mpsc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardEvent {
    CardInserted,
    PinEntered,
    Approved { cents: u64 },
    Declined,
}

/// The driver's end of the link.
pub struct Terminal {
    events: mpsc::Sender<CardEvent>,
}

impl Terminal {
    /// Called on the driver's thread; never blocks it.
    pub fn report(&self, event: CardEvent) {
        // try_send never blocks; if the checkout is gone (or busy), drop the event.
        let _ = self.events.try_send(event);
    }
}

/// The checkout's end of the link.
pub struct Events {
    events: mpsc::Receiver<CardEvent>,
}

impl Events {
    /// The next event from the terminal, or `None` once the terminal is gone.
    pub async fn next(&mut self) -> Option<CardEvent> {
        self.events.recv().await
    }
}

/// Links a terminal's driver to the checkout.
pub fn connect() -> (Terminal, Events) {
    let (sender, receiver) = mpsc::channel(32);
    (Terminal { events: sender }, Events { events: receiver })
}

/// Awaits events until the payment is settled: the amount approved, or `None` if it was declined
/// or the terminal went away first.
pub async fn wait_for_payment(events: &mut Events) -> Option<u64> {
    while let Some(event) = events.next().await {
        match event {
            CardEvent::Approved { cents } => return Some(cents),
            CardEvent::Declined => return None,
            CardEvent::CardInserted | CardEvent::PinEntered => {}
        }
    }
    None
}
