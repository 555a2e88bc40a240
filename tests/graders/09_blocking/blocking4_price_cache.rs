use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_grading::blocking::PollWatch;
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
const OWN_POLL_COUNT: &str =
    "the grader counts each lookup's polls at one instant and names the one that spins";

/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "the lookups never finished: a lookup waited for something that \
                              never came";
const ON_BLOCKED: &str = "the lookups blocked the runtime's thread and never gave it back: a \
                          lookup waited for its fetch (or for the cache's lock) without awaiting";
const ON_BUSY: &str = "the lookups kept the runtime busy without finishing: a lookup tries again \
                       in a loop (try_lock, yield) instead of awaiting";
/// Polls of one lookup at one instant of the paused clock that make a busy loop: a lookup that
/// waits properly is polled once or twice per event, and the clock moves on whenever every
/// task waits; one that wakes itself keeps the clock still and is polled again and again.
const BUSY_POLLS: usize = 1_000;

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
    /// Fetches that came back (shared with the check's `Lookups`).
    returned: Arc<Mutex<Vec<String>>>,
    timeline: Option<Timeline>,
}

impl Quotes {
    fn new(
        slow: Option<&'static str>,
        instant: &'static [&'static str],
        lookups: &Lookups,
    ) -> Self {
        Quotes {
            slow,
            instant,
            release: Arc::new(Notify::new()),
            fetched: Arc::default(),
            returned: Arc::clone(&lookups.fetches_returned),
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
        let answers_at_once = self.instant.contains(&symbol.as_str());
        if Some(symbol.as_str()) == self.slow {
            tokio::select! {
                () = self.release.notified() => {}
                () = tokio::time::sleep(SLOW_FETCH) => {}
            }
        } else if !answers_at_once {
            match &self.timeline {
                Some(timeline) => {
                    let wait = tokio::time::sleep(FETCH);
                    timeline.op(format!("fetch {symbol}"), wait).await;
                }
                None => tokio::time::sleep(FETCH).await,
            }
        }
        self.returned.lock().unwrap().push(symbol);
        price
    }

    fn fetched(&self) -> Vec<String> {
        self.fetched.lock().unwrap().clone()
    }
}

/// Every lookup a check makes, watched: a stopwatch around its polls, how many of them came at
/// one instant of the paused clock, and whether it finished. When a check hangs or a lookup
/// spins, they say which lookup did what, and what the others were doing meanwhile.
#[derive(Clone, Default)]
struct Lookups {
    watched: Arc<Mutex<Vec<Lookup>>>,
    /// Symbols whose fetch came back, in order (the grader's quote service records them).
    fetches_returned: Arc<Mutex<Vec<String>>>,
    /// The verdict on the first lookup found in a busy loop.
    busy: Arc<Mutex<Option<String>>>,
    /// Notified when a lookup is found in a busy loop: the check stops there.
    spinning: Arc<Notify>,
}

#[derive(Clone)]
struct Lookup {
    symbol: String,
    polls: PollStopwatch,
    done: Arc<AtomicBool>,
    /// Fetches of `symbol` that had come back when this lookup started.
    returned_before: usize,
}

/// A lookup's future, watched (see [`Lookups`]).
struct WatchedLookup<F: Future> {
    inner: PollWatch<F>,
    index: usize,
    lookups: Lookups,
    /// The lookup's own waker: it says whether this lookup was woken since its last poll (a
    /// `join!` polls all its futures when any one of them is woken).
    wakes: Arc<OwnWaker>,
    last_instant: Option<Instant>,
    /// Polls after a wake-up of this lookup, at `last_instant`.
    woken_at_this_instant: usize,
    /// Stopped for spinning: never polled through again.
    stopped: bool,
}

/// The waker a watched lookup polls its future with: notes the wake-up, then wakes the task.
#[derive(Default)]
struct OwnWaker {
    woken: AtomicBool,
    task: Mutex<Option<std::task::Waker>>,
}

impl std::task::Wake for OwnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let Some(task) = self.task.lock().unwrap().as_ref() {
            task.wake_by_ref();
        }
    }
}

impl<F: Future> Future for WatchedLookup<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.stopped {
            return Poll::Pending;
        }
        *self.wakes.task.lock().unwrap() = Some(cx.waker().clone());
        let was_woken = self.wakes.woken.swap(false, Ordering::SeqCst);
        let now = Instant::now();
        if self.last_instant != Some(now) {
            self.last_instant = Some(now);
            self.woken_at_this_instant = 0;
        }
        if was_woken {
            self.woken_at_this_instant += 1;
        }
        if self.woken_at_this_instant > BUSY_POLLS {
            // A busy loop: park this lookup (no wake-up) and stop the check with a verdict.
            self.stopped = true;
            self.lookups.found_spinning(self.index);
            return Poll::Pending;
        }
        let own = std::task::Waker::from(Arc::clone(&self.wakes));
        let polled = Pin::new(&mut self.inner).poll(&mut Context::from_waker(&own));
        if polled.is_ready() {
            let lookups = self.lookups.watched.lock().unwrap();
            lookups[self.index].done.store(true, Ordering::SeqCst);
        }
        polled
    }
}

impl Lookups {
    /// Wraps the lookup of `symbol`.
    fn watch<F: Future>(&self, symbol: &str, lookup: F) -> WatchedLookup<F> {
        let polls = PollStopwatch::default();
        let returned_before = self.returns_of(symbol);
        let mut watched = self.watched.lock().unwrap();
        watched.push(Lookup {
            symbol: symbol.to_owned(),
            polls: polls.clone(),
            done: Arc::new(AtomicBool::new(false)),
            returned_before,
        });
        WatchedLookup {
            inner: polls.watch(lookup),
            index: watched.len() - 1,
            lookups: self.clone(),
            wakes: Arc::default(),
            last_instant: None,
            woken_at_this_instant: 0,
            stopped: false,
        }
    }

    fn returns_of(&self, symbol: &str) -> usize {
        let returned = self.fetches_returned.lock().unwrap();
        returned.iter().filter(|s| *s == symbol).count()
    }

    /// A lookup that waits, started and not finished, other than the one at `except`.
    fn suspended_other_than(&self, except: usize) -> Option<String> {
        let watched = self.watched.lock().unwrap().clone();
        watched
            .iter()
            .enumerate()
            .find(|&(index, l)| {
                let stats = l.polls.stats();
                index != except
                    && stats.polls > 0
                    && stats.in_poll_since.is_none()
                    && !l.done.load(Ordering::SeqCst)
            })
            .map(|(_, l)| l.symbol.clone())
    }

    /// Records the verdict on the lookup at `index`, found polled `BUSY_POLLS` times at one
    /// instant, and stops the check.
    fn found_spinning(&self, index: usize) {
        let symbol = self.watched.lock().unwrap()[index].symbol.clone();
        let waiting = match self.suspended_other_than(index) {
            Some(holder) => format!(
                ", while the lookup of {holder} was suspended at its fetch's .await: it wakes \
                 itself again and again to look for what only the end of that fetch brings (the \
                 cache's lock, kept across the fetch?), a busy loop: it burns the runtime's \
                 thread, and time cannot move on, so that fetch never ends"
            ),
            None => ": it wakes itself again and again (a busy loop: it burns the runtime's \
                      thread, and time cannot move on)"
                .to_owned(),
        };
        let verdict = format!(
            "the lookup of {symbol} was woken and polled {BUSY_POLLS} times at one instant \
             without finishing{waiting}; let go of the lock before awaiting the fetch, so that no \
             lookup has to wait for it"
        );
        self.busy.lock().unwrap().get_or_insert(verdict);
        self.spinning.notify_one();
    }

    fn busy_verdict(&self) -> Option<String> {
        self.busy.lock().unwrap().clone()
    }

    /// Names the lookup whose poll blocked the thread, if one did.
    fn name_the_stuck_one(&self) -> Option<String> {
        let watched = self.watched.lock().unwrap().clone();
        let (index, stuck, blocked) = watched
            .iter()
            .enumerate()
            .find_map(|(index, l)| l.polls.stats().in_poll_for().map(|d| (index, l, d)))?;
        let own_fetch_came_back = self.returns_of(&stuck.symbol) > stuck.returned_before;
        let stuck = &stuck.symbol;
        let blocked = blocked.as_secs_f64();
        let verdict = match (self.suspended_other_than(index), own_fetch_came_back) {
            (Some(holder), _) => format!(
                "the lookup of {stuck} blocked the runtime's thread for {blocked:.1} s on the \
                 cache's lock, which the lookup of {holder} keeps while it is suspended at the \
                 fetch's .await: a std::sync::Mutex guard held across an .await. Its lock() \
                 blocks the very thread {holder} needs to resume and let go, so neither moves \
                 again (a deadlock); let go of the lock before awaiting the fetch"
            ),
            (None, true) => format!(
                "the lookup of {stuck} blocked the runtime's thread for {blocked:.1} s on the \
                 cache's lock after its fetch came back: the guard it took to look {stuck} up \
                 was still alive (held across the fetch's .await), and its own lock() waits \
                 for that guard forever (a deadlock); let go of the lock before awaiting the \
                 fetch (a guard lives to the end of its statement, and a match keeps the guard \
                 of its scrutinee for all its arms)"
            ),
            (None, false) => format!(
                "the lookup of {stuck} blocked the runtime's thread for {blocked:.1} s inside \
                 one poll, waiting for its fetch without awaiting it (a block_on inside async \
                 code?): the fetch needs this very thread's runtime to make progress, so it \
                 never finishes; .await the fetch, with no lock held"
            ),
        };
        Some(verdict)
    }
}

/// Runs `check` on a current-thread runtime with a paused clock, on a watched thread. If the
/// check has not finished after `LIMIT`, or a lookup spins, the verdict comes from `lookups`.
fn run_watched<T, F>(lookups: &Lookups, check: impl FnOnce() -> F + Send + 'static) -> T
where
    F: Future<Output = T>,
    T: Send + 'static,
{
    let spinning = Arc::clone(&lookups.spinning);
    let outcome = Watchdog::new(LIMIT, ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .try_run(move || {
            paused_clock()
                .allow_blocking(OWN_CHECK)
                .allow_busy(OWN_POLL_COUNT)
                .limit(LIMIT * 5)
                .explain_panics(explain)
                .run(move || async move {
                    tokio::select! {
                        biased;
                        () = spinning.notified() => None,
                        output = check() => Some(output),
                    }
                })
        });
    if let Some(busy) = lookups.busy_verdict() {
        panic!("{busy}");
    }
    match outcome {
        Ok(Some(output)) => output,
        Ok(None) => unreachable!("a spinning lookup records its verdict before it stops the check"),
        Err(generic) => panic!("{}", lookups.name_the_stuck_one().unwrap_or(generic)),
    }
}

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
    let (first_poll, zeta_price, zeta_took, acme_price, zeta_fetches) =
        run_watched(&lookups, move || async move {
            let quotes = Quotes::new(Some("ACME"), &[], &watch);
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
            let zeta_fetches = quotes.fetched().iter().filter(|s| *s == "ZETA").count();
            (
                first_poll.is_pending(),
                zeta_price,
                zeta_took,
                acme_price,
                zeta_fetches,
            )
        });
    assert!(
        first_poll,
        "the lookup of ACME returned before the quote service answered: fetch the price and \
         await it"
    );
    assert!(
        zeta_fetches == 1,
        "ZETA was looked up twice, and fetched {zeta_fetches} times: its price, fetched the \
         first time, was not in the cache the second (a lookup of a cached symbol must not \
         fetch); keep each fetched price in the cache"
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
        let mut quotes = Quotes::new(None, &[], &watch);
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
        let quotes = Quotes::new(None, &["KIWI"], &watch);
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
        let quotes = Quotes::new(Some("ACME"), &[], &watch);
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
