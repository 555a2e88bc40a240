use std::task::Poll;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Lookup, PriceCache};

fn shop_cache() -> PriceCache {
    let mut cache = PriceCache::default();
    cache.insert("tea", 350);
    cache.insert("coffee", 420);
    cache
}

/// Polls `lookup` by hand with a counting waker and returns its answer if the very first poll
/// is `Ready`; otherwise fails with what the `Pending` did wrong. `situation` says which lookup
/// this was and `fix` what it should have returned.
fn answer_of_first_poll(lookup: Lookup, situation: &str, fix: &str) -> Option<u32> {
    let mut lookup = HandPoll::new(lookup).blocking_fix(fix);
    if let Poll::Ready(answer) = lookup.poll() {
        return answer;
    }
    if lookup.waker().is_woken() {
        // Keep polling a while, the way an executor would after the wake.
        let mut polls = 1;
        while polls < 100 {
            polls += 1;
            if lookup.poll().is_ready() {
                panic!(
                    "{situation}: returned Pending and woke its own task {} time(s) before \
                     answering on poll {polls}: a pointless round trip through the executor. \
                     The answer is already known: {fix}",
                    lookup.waker().wake_count()
                );
            }
        }
        panic!(
            "{situation}: returned Pending {polls} times in a row, waking its own task each time \
             ({} wakes): a busy loop that keeps the executor spinning and never finishes. The \
             answer is already known: {fix}",
            lookup.waker().wake_count()
        );
    }
    let waker = lookup.waker();
    if waker.copies_held() == 0 {
        panic!(
            "{situation}: returned Pending with nothing registered to wake it, so an executor \
             would never poll this lookup again (the task hangs). A future that already has its \
             answer must not wait: {fix}"
        );
    }
    panic!(
        "{situation}: returned Pending (and kept {} copy of the waker) although the answer is \
         already known: {fix}",
        waker.copies_held()
    );
}

#[test]
fn a_cached_price_is_ready_on_the_first_poll() {
    let cache = shop_cache();
    let answer = answer_of_first_poll(
        cache.lookup("tea"),
        "looking up a cached price",
        "return Poll::Ready(Some(price)) on the first poll",
    );
    assert_eq!(
        answer,
        Some(350),
        "the lookup of \"tea\" (cached at 350 cents) answered {answer:?}: hand over the price \
         the lookup found"
    );
}

#[test]
fn a_miss_is_ready_with_none_on_the_first_poll() {
    let cache = shop_cache();
    let answer = answer_of_first_poll(
        cache.lookup("cocoa"),
        "looking up a product that is not cached",
        "a miss is an answer too, so return Poll::Ready(None) on the first poll",
    );
    assert_eq!(
        answer, None,
        "the lookup of \"cocoa\" (not cached) answered {answer:?}: a miss must answer None"
    );
}

#[test]
fn a_free_sample_is_a_hit_at_zero_cents() {
    let mut cache = shop_cache();
    cache.insert("sample", 0);
    let answer = answer_of_first_poll(
        cache.lookup("sample"),
        "looking up a product cached at 0 cents",
        "return Poll::Ready(Some(price)) on the first poll, whatever the price",
    );
    assert_eq!(
        answer,
        Some(0),
        "the lookup of \"sample\" (cached at 0 cents, a free sample) answered {answer:?}: a \
         price of 0 is still a cached price, so hand over Some(0); only a product that is not \
         cached answers None"
    );
}

#[test]
fn an_empty_cache_answers_none() {
    let cache = PriceCache::default();
    let answer = answer_of_first_poll(
        cache.lookup(""),
        "looking up in an empty cache",
        "a miss is an answer too, so return Poll::Ready(None) on the first poll",
    );
    assert_eq!(
        answer, None,
        "an empty cache answered {answer:?}: nothing is cached, so every lookup answers None"
    );
}

#[test]
fn awaiting_lookups_on_tokio_gives_the_prices() {
    // Virtual time decides at once whether the awaiting task can ever be woken.
    let answers = paused_clock()
        .limit(Duration::from_secs(1))
        .on_blocked(
            "awaiting a lookup on a tokio runtime blocked the thread; return \
             Poll::Ready(answer) from poll as soon as the answer is known",
        )
        .would_hang_after(
            Duration::from_secs(60),
            "awaiting lookups on a tokio runtime: return Poll::Ready(answer) from poll as soon \
             as the answer is known",
        )
        .run(|| async {
            let cache = shop_cache();
            (cache.lookup("coffee").await, cache.lookup("cocoa").await)
        });
    assert_eq!(
        answers,
        (Some(420), None),
        "awaiting lookups of \"coffee\" (cached at 420) and \"cocoa\" (not cached) gave \
         {answers:?}: Ready(Some(price)) for a hit, Ready(None) for a miss"
    );
}
