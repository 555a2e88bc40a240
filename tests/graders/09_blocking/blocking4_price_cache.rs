use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::Notify;
use tokio::task::LocalSet;
use tokio::time::Instant;

use crate::exercise::PriceCache;

/// A fetch from the quote service (virtual time).
const FETCH: Duration = Duration::from_secs(1);
/// The slow fetch of a check waits for the grader's signal, or this long (virtual time).
const SLOW_FETCH: Duration = Duration::from_secs(10);
/// A check still running after this long (real time) is stopped and named: on a paused clock a
/// check takes milliseconds, so only a blocked runtime thread gets here.
const LIMIT: Duration = Duration::from_secs(2);
const OWN_CHECK: &str =
    "the grader's own watchdog names the lookup stuck in its poll and the one holding the lock";

const ON_BLOCK: &str = "the lookups never finished: the runtime's thread blocked for good, or a \
                        lookup waited for something that never came";

/// The price the grader's quote service gives a symbol, in cents.
fn quote(symbol: &str) -> u64 {
    symbol.bytes().map(u64::from).sum::<u64>() * 37 + 1_000
}

type Fetching = Pin<Box<dyn Future<Output = u64> + Send>>;

/// The grader's quote service: records every fetch. The fetch of `slow` waits until the grader
/// releases it (or `SLOW_FETCH`); symbols in `instant` come back without waiting; every other
/// fetch takes `FETCH`.
#[derive(Clone)]
struct Quotes {
    slow: Option<&'static str>,
    instant: &'static [&'static str],
    release: Arc<Notify>,
    fetched: Arc<Mutex<Vec<String>>>,
    timeline: Option<Timeline>,
}

impl Quotes {
    fn new(slow: Option<&'static str>, instant: &'static [&'static str]) -> Self {
        Quotes {
            slow,
            instant,
            release: Arc::new(Notify::new()),
            fetched: Arc::default(),
            timeline: None,
        }
    }

    fn fetcher(&self) -> impl Fn(String) -> Fetching + Send + Sync + 'static {
        let quotes = self.clone();
        move |symbol| Box::pin(quotes.clone().fetch(symbol))
    }

    async fn fetch(self, symbol: String) -> u64 {
        self.fetched.lock().unwrap().push(symbol.clone());
        let price = quote(&symbol);
        if self.instant.contains(&symbol.as_str()) {
            return price;
        }
        if Some(symbol.as_str()) == self.slow {
            tokio::select! {
                () = self.release.notified() => {}
                () = tokio::time::sleep(SLOW_FETCH) => {}
            }
            return price;
        }
        match &self.timeline {
            Some(timeline) => {
                let wait = tokio::time::sleep(FETCH);
                timeline.op(format!("fetch {symbol}"), wait).await;
            }
            None => tokio::time::sleep(FETCH).await,
        }
        price
    }

    fn fetched(&self) -> Vec<String> {
        self.fetched.lock().unwrap().clone()
    }
}

/// Every lookup a check makes, watched: a stopwatch around its polls and whether it finished.
/// When a check hangs, they say which lookup's poll blocked the thread, and what the others
/// were doing meanwhile.
#[derive(Clone, Default)]
struct Lookups {
    watched: Arc<Mutex<Vec<Lookup>>>,
}

#[derive(Clone)]
struct Lookup {
    symbol: String,
    polls: PollStopwatch,
    done: Arc<AtomicBool>,
}

impl Lookups {
    /// Wraps the lookup of `symbol`.
    fn watch<F: Future>(&self, symbol: &str, lookup: F) -> impl Future<Output = F::Output> {
        let polls = PollStopwatch::default();
        let done = Arc::new(AtomicBool::new(false));
        self.watched.lock().unwrap().push(Lookup {
            symbol: symbol.to_owned(),
            polls: polls.clone(),
            done: Arc::clone(&done),
        });
        async move {
            let output = polls.watch(lookup).await;
            done.store(true, Ordering::SeqCst);
            output
        }
    }

    /// Names the lookup whose poll blocked the thread, if one did.
    fn name_the_stuck_one(&self) -> Option<String> {
        let watched = self.watched.lock().unwrap().clone();
        let (stuck, blocked) = watched
            .iter()
            .find_map(|l| l.polls.stats().in_poll_for().map(|d| (l, d)))?;
        let stuck = &stuck.symbol;
        let blocked = blocked.as_secs_f64();
        let suspended = watched.iter().find(|l| {
            let stats = l.polls.stats();
            stats.polls > 0 && stats.in_poll_since.is_none() && !l.done.load(Ordering::SeqCst)
        });
        Some(match suspended {
            Some(holder) => format!(
                "the lookup of {stuck} blocked the runtime's thread for {blocked:.1} s on the \
                 cache's lock, which the lookup of {holder} keeps while it is suspended at the \
                 fetch's .await: a std::sync::Mutex guard held across an .await. Its lock() \
                 blocks the very thread {holder} needs to resume and let go, so neither moves \
                 again (a deadlock); let go of the lock before awaiting the fetch",
                holder = holder.symbol
            ),
            None => format!(
                "the lookup of {stuck} blocked the runtime's thread for {blocked:.1} s inside \
                 one poll, waiting for its fetch without awaiting it (a block_on inside async \
                 code?): the fetch needs this very thread's runtime to make progress, so it \
                 never finishes; .await the fetch, with no lock held"
            ),
        })
    }
}

/// Runs `check` on a current-thread runtime with a paused clock, on a watched thread. If the
/// check has not finished after `LIMIT`, the verdict comes from `lookups`.
fn run_watched<T, F>(lookups: &Lookups, check: impl FnOnce() -> F + Send + 'static) -> T
where
    F: Future<Output = T>,
    T: Send + 'static,
{
    let outcome = Watchdog::new(LIMIT, ON_BLOCK).try_run(move || {
        paused_clock()
            .allow_blocking(OWN_CHECK)
            .allow_busy(OWN_CHECK)
            .limit(LIMIT * 5)
            .explain_panics(explain)
            .run(check)
    });
    match outcome {
        Ok(output) => output,
        Err(generic) => panic!("{}", lookups.name_the_stuck_one().unwrap_or(generic)),
    }
}

/// This grader measures blocking itself (see `OWN_CHECK`), so its runs opt out of the runners'
/// own check with `Run::allow_blocking` (and `allow_busy`). Where the runners have no such check
/// yet, this stand-in keeps the grader compiling; where they do, the inherent methods take
/// precedence over it.
#[allow(dead_code)]
trait MeasuresBlockingItself: Sized {
    fn allow_blocking(self, _reason: &str) -> Self {
        self
    }
    fn allow_busy(self, _reason: &str) -> Self {
        self
    }
}

impl MeasuresBlockingItself for Run {}

fn explain(message: &str) -> Option<String> {
    message.contains("runtime from within a runtime").then(|| {
        "price called block_on inside async code, and tokio panics on that: you are already in \
         a task, so .await the fetch instead of blocking on it"
            .to_owned()
    })
}

#[test]
fn a_cached_price_comes_at_once_while_another_is_fetched() {
    let lookups = Lookups::default();
    let watch = lookups.clone();
    let (first_poll, zeta_price, zeta_took, acme_price) =
        run_watched(&lookups, move || async move {
            let quotes = Quotes::new(Some("ACME"), &[]);
            let cache = PriceCache::new(quotes.fetcher());
            watch.watch("ZETA", cache.price("ZETA")).await;
            // ACME's lookup starts, and suspends at its fetch (which the grader holds back)...
            let mut acme = pin!(watch.watch("ACME", cache.price("ACME")));
            let first_poll = futures::poll!(acme.as_mut());
            // ...and ZETA, already cached, is asked for meanwhile.
            let asked = Instant::now();
            let zeta = watch.watch("ZETA", cache.price("ZETA"));
            let ((zeta_price, zeta_took), acme_price) = futures::join!(
                async {
                    let price = zeta.await;
                    let took = asked.elapsed();
                    quotes.release.notify_one();
                    (price, took)
                },
                acme,
            );
            (first_poll.is_pending(), zeta_price, zeta_took, acme_price)
        });
    assert!(
        first_poll,
        "the lookup of ACME returned before the quote service answered: fetch the price and \
         await it"
    );
    assert!(
        zeta_took.is_zero(),
        "the lookup of ZETA, already in the cache, took {:.1} s: it waited until the fetch of \
         ACME was over (the cache's lock was kept while fetching); a cached price must come at \
         once: let go of the lock before awaiting the fetch",
        zeta_took.as_secs_f64()
    );
    assert_eq!(
        (zeta_price, acme_price),
        (quote("ZETA"), quote("ACME")),
        "the cache returned wrong prices for ZETA and ACME"
    );
}

#[test]
fn missing_prices_are_fetched_at_the_same_time() {
    let lookups = Lookups::default();
    let watch = lookups.clone();
    let (timeline, prices) = run_watched(&lookups, move || async move {
        let mut quotes = Quotes::new(None, &[]);
        let timeline = Timeline::new();
        quotes.timeline = Some(timeline.clone());
        let cache = PriceCache::new(quotes.fetcher());
        let prices = futures::join!(
            watch.watch("BOLT", cache.price("BOLT")),
            watch.watch("KIWI", cache.price("KIWI"))
        );
        (timeline, prices)
    });
    timeline
        .check_all_at_once(
            FETCH,
            "the cache's lock was kept while fetching, so each lookup waited for the other's \
             fetch; let go of the lock before awaiting the fetch",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert_eq!(
        prices,
        (quote("BOLT"), quote("KIWI")),
        "the cache returned wrong prices for BOLT and KIWI"
    );
}

#[test]
fn a_cached_symbol_is_never_fetched_again() {
    // KIWI's quote comes back without any wait: a fetch that never suspends.
    const ASKED: [&str; 6] = ["ORCL", "KIWI", "ORCL", "KIWI", "Ω-1", "ORCL"];
    let lookups = Lookups::default();
    let watch = lookups.clone();
    let (fetched, answers) = run_watched(&lookups, move || async move {
        let quotes = Quotes::new(None, &["KIWI"]);
        let cache = PriceCache::new(quotes.fetcher());
        let mut answers = Vec::new();
        for symbol in ASKED {
            let asked = Instant::now();
            let price = watch.watch(symbol, cache.price(symbol)).await;
            answers.push((symbol, price, asked.elapsed()));
        }
        (quotes.fetched(), answers)
    });
    for symbol in ["ORCL", "KIWI", "Ω-1"] {
        let times = fetched.iter().filter(|s| *s == symbol).count();
        assert_eq!(
            times, 1,
            "{symbol} was fetched {times} time(s) over these lookups: {ASKED:?}; fetch a \
             missing symbol once, keep its price, and serve it from the cache afterwards"
        );
    }
    for (symbol, price, took) in answers {
        assert_eq!(
            price,
            quote(symbol),
            "the cache returned a wrong price for {symbol}"
        );
        assert!(
            took <= FETCH,
            "a lookup of {symbol} took {:.1} s, longer than one fetch",
            took.as_secs_f64()
        );
    }
}

#[test]
fn lookups_in_tasks_of_one_thread_do_not_block_each_other() {
    // The dashboard's way: every lookup in a task of its own, all on one thread (a LocalSet).
    let lookups = Lookups::default();
    let watch = lookups.clone();
    let prices = run_watched(&lookups, move || async move {
        let quotes = Quotes::new(Some("ACME"), &[]);
        let cache = Rc::new(PriceCache::new(quotes.fetcher()));
        watch.watch("ZETA", cache.price("ZETA")).await;
        let tasks = LocalSet::new();
        tasks
            .run_until(async {
                let acme = tokio::task::spawn_local({
                    let (cache, watch) = (Rc::clone(&cache), watch.clone());
                    async move { watch.watch("ACME", cache.price("ACME")).await }
                });
                // Let ACME's task run up to its fetch before ZETA's task starts.
                tokio::task::yield_now().await;
                let zeta = tokio::task::spawn_local({
                    let (cache, watch) = (Rc::clone(&cache), watch.clone());
                    let release = Arc::clone(&quotes.release);
                    async move {
                        let price = watch.watch("ZETA", cache.price("ZETA")).await;
                        release.notify_one();
                        price
                    }
                });
                (zeta.await.unwrap(), acme.await.unwrap())
            })
            .await
    });
    assert_eq!(
        prices,
        (quote("ZETA"), quote("ACME")),
        "the cache returned wrong prices for ZETA and ACME"
    );
}
