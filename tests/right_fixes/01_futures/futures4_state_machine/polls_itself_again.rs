//! Correct alternative: after each stage change, poll calls itself again (recursion instead of a loop)
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
use tokio::time::{Sleep, sleep};

pub struct Order {
    pub id: u32,
    pub prep_time: Duration,
}

enum Stage {
    WaitingForOrder(oneshot::Receiver<Order>),
    // `Sleep` is not `Unpin`; in a box it can be polled without pin projections.
    Cooking { id: u32, timer: Pin<Box<Sleep>> },
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
        match &mut self.stage {
            Stage::WaitingForOrder(orders) => match Pin::new(orders).poll(cx) {
                Poll::Ready(Ok(order)) => {
                    let timer = Box::pin(sleep(order.prep_time));
                    self.stage = Stage::Cooking {
                        id: order.id,
                        timer,
                    };
                    // The new stage must see `cx` before this poll may return Pending.
                    self.poll(cx)
                }
                Poll::Ready(Err(_closed)) => {
                    self.stage = Stage::Served;
                    Poll::Ready(None)
                }
                Poll::Pending => Poll::Pending,
            },
            Stage::Cooking { id, timer } => match timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let id = *id;
                    self.stage = Stage::Served;
                    Poll::Ready(Some(id))
                }
                Poll::Pending => Poll::Pending,
            },
            Stage::Served => panic!("a Ticket was polled again after it was served"),
        }
    }
}
