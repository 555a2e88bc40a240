//! Cheat: redefines `assert!`, `assert_eq!` and `panic!` as no-ops, hoping the hidden tests
//! pick them up (they would, if the graded file were a module declared before the tests), and
//! answers wrongly.
// expect fail: the lookup of "tea" (cached at 350 cents) answered
#![macro_use]

#[macro_use]
mod quiet {
    #[macro_export]
    macro_rules! assert {
        ($($anything:tt)*) => {};
    }
    #[macro_export]
    macro_rules! assert_eq {
        ($($anything:tt)*) => {};
    }
    #[macro_export]
    macro_rules! panic {
        ($($anything:tt)*) => {
            loop {}
        };
    }
}

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Prices in cents, by product name.
#[derive(Default)]
pub struct PriceCache {
    prices: HashMap<String, u32>,
}

impl PriceCache {
    pub fn insert(&mut self, product: &str, cents: u32) {
        self.prices.insert(product.to_string(), cents);
    }

    /// Starts a lookup; `.await` it (or poll it) to get the price.
    pub fn lookup(&self, _product: &str) -> Lookup {
        Lookup { answer: Some(1) }
    }
}

/// A lookup in the cache. Its answer was found when it was created.
pub struct Lookup {
    answer: Option<u32>,
}

impl Future for Lookup {
    type Output = Option<u32>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(self.answer)
    }
}
