//! Wrong fix: polls the cooking stage right after taking the order, but keeps only the
//! preparation time and makes a new `Sleep` on every poll (dropped when `poll` returns).
// expect fail: create the Sleep once
//! A kitchen ticket, written by hand as a state machine.
//!
//! `ticket(orders)` is a future with two stages: it waits for the order to come in on a
//! oneshot channel, then it waits out that order's preparation time, and then it resolves to
//! `Some(order id)`. If the channel closes without an order, it resolves to `None`.
//!
//! An `async fn` compiles to this kind of enum, one state per `.await`. Here you write `poll`
//! yourself, so you must keep the promise the compiler keeps for you: return `Pending` only
//! when some future you polled returned `Pending` (it has then arranged to wake the task).
//!
//! Right now a ticket never gets served once its order has arrived.
//!
//! Done when: a ticket resolves as soon as the preparation time has passed after the order
//! came in, never wakes itself while nothing happened, and resolves to `None` if the order
//! channel closes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::sleep;

pub struct Order {
    pub id: u32,
    pub prep_time: Duration,
}

enum Stage {
    WaitingForOrder(oneshot::Receiver<Order>),
    Cooking { id: u32, prep_time: Duration },
    Served,
}

pub struct Ticket {
    stage: Stage,
}

pub fn ticket(orders: oneshot::Receiver<Order>) -> Ticket {
    Ticket {
        stage: Stage::WaitingForOrder(orders),
    }
}

impl Future for Ticket {
    type Output = Option<u32>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if let Stage::WaitingForOrder(orders) = &mut self.stage {
            match Pin::new(orders).poll(cx) {
                Poll::Ready(Ok(order)) => {
                    self.stage = Stage::Cooking {
                        id: order.id,
                        prep_time: order.prep_time,
                    };
                }
                Poll::Ready(Err(_closed)) => {
                    self.stage = Stage::Served;
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        // The order is in: poll the cooking stage in this same call.
        match &mut self.stage {
            Stage::WaitingForOrder(_) => unreachable!("handled above"),
            Stage::Cooking { id, prep_time } => {
                let mut timer = Box::pin(sleep(*prep_time));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        let id = *id;
                        self.stage = Stage::Served;
                        Poll::Ready(Some(id))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
            Stage::Served => panic!("a Ticket was polled again after it was served"),
        }
    }
}
