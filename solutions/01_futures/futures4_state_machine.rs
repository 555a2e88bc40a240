//! A kitchen ticket, written by hand as a state machine.
//!
//! `ticket(orders)` is a future with two stages: it waits for the order to come in on a
//! oneshot channel, then it waits out that order's preparation time, and then it resolves to
//! `Some(order id)`. If the channel closes without an order, it resolves to `None`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
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
        // Each pass polls the current stage. A stage that completes moves the machine on and
        // we go round again, so the *new* stage is polled in this same call: either it is
        // ready too, or its `Pending` means it has registered `cx`'s waker. We only ever
        // return `Pending` straight from a stage that returned it (that is what `ready!`
        // does), which is exactly the promise `Pending` makes: "someone will wake you".
        loop {
            match &mut self.stage {
                Stage::WaitingForOrder(orders) => match ready!(Pin::new(orders).poll(cx)) {
                    Ok(order) => {
                        let timer = Box::pin(sleep(order.prep_time));
                        self.stage = Stage::Cooking {
                            id: order.id,
                            timer,
                        };
                    }
                    Err(_closed) => {
                        self.stage = Stage::Served;
                        return Poll::Ready(None);
                    }
                },
                Stage::Cooking { id, timer } => {
                    ready!(timer.as_mut().poll(cx));
                    let id = *id;
                    self.stage = Stage::Served;
                    return Poll::Ready(Some(id));
                }
                Stage::Served => panic!("a Ticket was polled again after it was served"),
            }
        }
    }
}
