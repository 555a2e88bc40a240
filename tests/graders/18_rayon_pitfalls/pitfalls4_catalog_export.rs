use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, ThreadId};
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Page, Product, export_catalog};

/// A catalog of a few products renders in milliseconds; a pool that has not finished it after
/// this long never will: its threads all wait for work that only they could run.
const DEADLOCK_AFTER: Duration = Duration::from_secs(2);
/// How long the first render waits for a second one to run alongside it.
const PATIENCE: Duration = Duration::from_secs(2);
/// How long the grader holds product 0's photo back, waiting for the last product's photo. A
/// pool rendering pages in parallel gets there within milliseconds; a catalog rendered in a
/// single run of calls cannot, and goes ahead after this long.
const HELD_BACK: Duration = Duration::from_secs(2);

/// Thread names of the grader's pools.
const SHOP_POOL: &str = "catalog-pool-";
const GLOBAL_POOL: &str = "rayon-global-";

const DEADLOCK_FIX: &str = "let rayon do the waiting (its own ways to wait run pending jobs of \
                            the pool meanwhile), or render the photo on the thread that needs it";

/// "840 ms" below a second, "2.04 s" from a second on.
fn figure(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// The shop's pool, of `threads` named threads; rayon's global pool gets 2 named threads too
/// (each check runs in its own process, so this is its first use).
fn shop_pool(threads: usize) -> rayon::ThreadPool {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("{GLOBAL_POOL}{i}"))
        .build_global();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("{SHOP_POOL}{i}"))
        .build()
        .expect("the grader could not build a rayon pool")
}

fn catalog(count: usize) -> Vec<Product> {
    (0..count as u32)
        .map(|i| Product {
            sku: 7_100 + i * 3,
            name: format!("{} chair", ["oak", "pine", "teak", "birch"][i as usize % 4]),
        })
        .collect()
}

fn photo_of(product: &Product) -> String {
    format!("photo of {} #{}", product.name, product.sku)
}

fn description_of(product: &Product) -> String {
    format!("{}: a fine {}", product.sku, product.name)
}

fn page_of(product: &Product) -> Page {
    Page {
        sku: product.sku,
        photo: photo_of(product),
        description: description_of(product),
    }
}

/// Where a render ran, when not on the shop's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The thread that called `export_catalog`.
    Caller,
    GlobalPool,
    /// A rayon pool `export_catalog` built.
    OwnPool,
    /// A thread that is no rayon worker.
    OtherThread,
}

/// A render that ran outside the shop's pool.
#[derive(Clone, Debug)]
struct Outside {
    photo: bool,
    place: Place,
    name: String,
    thread: ThreadId,
}

/// Where a render is when the grader's `also` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Starts { photo: bool },
    Ends { photo: bool },
}

/// What the grader adds to every render (a rendezvous, a hold).
trait Also: Fn(Stage, &Product) + Send + Sync + Clone + 'static {}
impl<F: Fn(Stage, &Product) + Send + Sync + Clone + 'static> Also for F {}

/// Adds nothing.
fn nothing(_: Stage, _: &Product) {}

/// Where each render ran, and how many are started, finished.
#[derive(Clone, Default)]
struct Renders {
    photos_started: Arc<AtomicUsize>,
    photos_done: Arc<AtomicUsize>,
    descriptions_started: Arc<AtomicUsize>,
    descriptions_done: Arc<AtomicUsize>,
    /// The renders that ran outside the shop's pool.
    elsewhere: Arc<Mutex<Vec<Outside>>>,
    /// The thread that called `export_catalog`.
    caller: Arc<OnceLock<ThreadId>>,
}

impl Renders {
    fn record<T>(&self, photo: bool, render: impl FnOnce() -> T) -> T {
        let (started, done) = if photo {
            (&self.photos_started, &self.photos_done)
        } else {
            (&self.descriptions_started, &self.descriptions_done)
        };
        started.fetch_add(1, Ordering::SeqCst);
        let current = thread::current();
        let name = current.name().unwrap_or("").to_owned();
        if !name.starts_with(SHOP_POOL) {
            let place = if name.starts_with(GLOBAL_POOL) {
                Place::GlobalPool
            } else if self.caller.get() == Some(&current.id()) {
                Place::Caller
            } else if rayon::current_thread_index().is_some() {
                Place::OwnPool
            } else {
                Place::OtherThread
            };
            self.elsewhere
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Outside {
                    photo,
                    place,
                    name,
                    thread: current.id(),
                });
        }
        let output = render();
        done.fetch_add(1, Ordering::SeqCst);
        output
    }

    /// The grader's `render_photo` and `describe`; `also` runs around every render, with
    /// what it renders.
    fn callbacks(
        &self,
        also: impl Also,
    ) -> (
        impl Fn(&Product) -> String + Send + Sync + 'static,
        impl Fn(&Product) -> String + Send + Sync + 'static,
    ) {
        let (photos, descriptions) = (self.clone(), self.clone());
        let also_in_photo = also.clone();
        (
            move |product: &Product| {
                photos.record(true, || {
                    also_in_photo(Stage::Starts { photo: true }, product);
                    let photo = photo_of(product);
                    also_in_photo(Stage::Ends { photo: true }, product);
                    photo
                })
            },
            move |product: &Product| {
                descriptions.record(false, || {
                    also(Stage::Starts { photo: false }, product);
                    let description = description_of(product);
                    also(Stage::Ends { photo: false }, product);
                    description
                })
            },
        )
    }

    fn counts(&self) -> [usize; 4] {
        [
            self.photos_started.load(Ordering::SeqCst),
            self.photos_done.load(Ordering::SeqCst),
            self.descriptions_started.load(Ordering::SeqCst),
            self.descriptions_done.load(Ordering::SeqCst),
        ]
    }
}

/// Exports a catalog of `count` products on a shop pool of `threads` threads, on a watched
/// thread; after the export it waits until every job queued on the pool has run. A pool that
/// never finishes becomes a "pool deadlock" verdict with what was rendered and what was not.
fn export(count: usize, threads: usize, limit: Duration, also: impl Also) -> (Vec<Page>, Renders) {
    let renders = Renders::default();
    let (render_photo, describe) = renders.callbacks(also);
    let caller = Arc::clone(&renders.caller);
    let (outcome, cpu) = cpu_while(|| {
        Watchdog::new(
            limit,
            &format!("pool deadlock: export_catalog never finished on a {threads}-thread pool"),
        )
        .try_run(move || {
            let pool = shop_pool(threads);
            let products = catalog(count);
            let _ = caller.set(thread::current().id());
            let pages = export_catalog(&pool, &products, render_photo, describe);
            // Every thread of the pool picks this up only once its own queue is empty: after
            // it, every job the export queued on the pool has run.
            pool.broadcast(|_| ());
            pages
        })
    });
    match outcome {
        Ok(pages) => (pages, renders),
        Err(verdict) => {
            let [
                photos_started,
                photos_done,
                described_started,
                described_done,
            ] = renders.counts();
            let running = photos_started - photos_done + described_started - described_done;
            let cpu_used = match cpu.cpu {
                Some(used) => format!(
                    ", and the process used {} of CPU in those {}",
                    figure(used),
                    figure(cpu.wall)
                ),
                None => String::new(),
            };
            let threads_waited = if threads == 1 {
                "the pool's only thread sat blocked, waiting for work queued on that same pool, \
                 which only it could run"
            } else {
                "every thread of the pool sat blocked, waiting for work queued on that same \
                 pool, which only they could run"
            };
            panic!(
                "{verdict}; {photos_started} of {count} photos were ever started and \
                 {described_done} of {count} descriptions rendered, {running} render(s) running \
                 at the end{cpu_used}: {threads_waited}; {DEADLOCK_FIX}"
            );
        }
    }
}

/// One page per product, each with its own product's renders, in any order (the order has a
/// check of its own: [`keeps_the_order_of_the_catalog`]).
fn check_pages(pages: &[Page], products: &[Product]) {
    assert_eq!(
        pages.len(),
        products.len(),
        "returned {} pages for {} products: one page per product",
        pages.len(),
        products.len()
    );
    for product in products {
        let own = page_of(product);
        let found = pages.iter().filter(|page| page.sku == product.sku).count();
        assert!(
            found == 1,
            "product {} has {found} pages among the {}: one page per product",
            product.sku,
            pages.len()
        );
        let page = pages.iter().find(|page| page.sku == product.sku);
        assert!(
            page == Some(&own),
            "product {}'s page is {page:?}, not {own:?}: give each page its own product's photo \
             and description",
            product.sku
        );
    }
}

#[test]
fn finishes_on_a_one_thread_pool() {
    for count in [3, 0, 1] {
        let (pages, _) = export(count, 1, DEADLOCK_AFTER, nothing);
        check_pages(&pages, &catalog(count));
    }
}

#[test]
fn finishes_on_a_two_thread_pool() {
    let (pages, _) = export(8, 2, DEADLOCK_AFTER, nothing);
    check_pages(&pages, &catalog(8));
}

#[test]
fn renders_each_photo_and_description_once() {
    const COUNT: usize = 3;
    let (_, renders) = export(COUNT, 1, DEADLOCK_AFTER, nothing);
    let [photos, _, descriptions, _] = renders.counts();
    assert!(
        photos == COUNT && descriptions == COUNT,
        "rendered {photos} photos and {descriptions} descriptions for {COUNT} products (on a \
         1-thread pool, counting the jobs that ran after the export returned): render each \
         exactly once; a job queued on the pool runs even when nobody waits for its result any \
         more, so a page that gives up waiting and renders its photo itself pays for it twice",
    );
}

const ON_POOL_FIX: &str = "keep every render on `pool`; to wait for a render without blocking a \
                           thread of `pool`, let rayon do the waiting (its own ways to wait run \
                           pending jobs of the pool meanwhile)";

#[test]
fn renders_on_the_pool_it_is_given() {
    let (_, renders) = export(8, 2, DEADLOCK_AFTER, nothing);
    let elsewhere = renders
        .elsewhere
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(first) = elsewhere.first() else {
        return;
    };
    let what = if first.photo {
        "photos"
    } else {
        "descriptions"
    };
    let alike: Vec<&Outside> = elsewhere
        .iter()
        .filter(|o| o.photo == first.photo && o.place == first.place)
        .collect();
    let count = alike.len();
    let threads = alike.iter().map(|o| o.thread).collect::<HashSet<_>>().len();
    match first.place {
        Place::Caller => panic!(
            "rendered {count} of 8 {what} on the thread that called export_catalog, outside the \
             pool, one after another: the pool the shop sized for this work did none of it, and \
             nothing rendered those {what} in parallel; render them on `pool` too, in parallel"
        ),
        Place::GlobalPool => panic!(
            "rendered {count} of 8 {what} on rayon's global pool, not on the pool export_catalog \
             was given: the global pool belongs to every other part of the program, and the \
             shop sized `pool` for this work; {ON_POOL_FIX}"
        ),
        Place::OwnPool => panic!(
            "rendered {count} of 8 {what} on a rayon pool export_catalog built for itself, not \
             on the pool it was given: a bigger pool, or another one, only moves the problem, \
             with threads started on top of the ones the shop sized `pool` with; {ON_POOL_FIX}"
        ),
        Place::OtherThread => {
            let place = if first.name.is_empty() {
                "a thread outside the pool".to_owned()
            } else {
                format!("thread {:?}, outside the pool", first.name)
            };
            panic!(
                "rendered {count} of 8 {what} on {place} ({} in all), not \
                 on the pool export_catalog was given: every thread started for a render \
                 competes for the cores with the threads the shop sized `pool` with; \
                 {ON_POOL_FIX}",
                if threads == 1 {
                    "1 thread".to_owned()
                } else {
                    format!("{threads} threads")
                }
            )
        }
    }
}

#[test]
fn renders_pages_in_parallel() {
    let meeting = Rendezvous::new(2, PATIENCE);
    let in_render = Arc::clone(&meeting);
    let arrive = move |stage: Stage, _: &Product| {
        if matches!(stage, Stage::Starts { .. }) {
            in_render.arrive();
        }
    };
    let (pages, _) = export(8, 2, PATIENCE + DEADLOCK_AFTER, arrive);
    check_pages(&pages, &catalog(8));
    assert!(
        meeting.met(),
        "rendered one thing at a time on a 2-thread pool: the first render waited {} for a \
         second one to run alongside it, and none did; render the pages in parallel on the pool",
        figure(PATIENCE)
    );
}

#[test]
fn keeps_the_order_of_the_catalog() {
    const COUNT: usize = 8;
    let products = catalog(COUNT);
    let (first, last) = (products[0].sku, products[COUNT - 1].sku);
    // Product 0's photo waits until the last product's photo is rendered: the catalog cannot
    // finish in its own order, whatever the machine's load.
    let last_photo = Gate::new(HELD_BACK);
    let hold = move |stage: Stage, product: &Product| match stage {
        Stage::Starts { photo: true } if product.sku == first => {
            last_photo.wait();
        }
        Stage::Ends { photo: true } if product.sku == last => last_photo.open(),
        _ => {}
    };
    let (pages, _) = export(COUNT, 2, HELD_BACK + DEADLOCK_AFTER, hold);
    check_pages(&pages, &products);
    let Some(at) = (0..COUNT).find(|&i| pages[i].sku != products[i].sku) else {
        return;
    };
    let position = |sku: u32| products.iter().position(|p| p.sku == sku).unwrap_or(0);
    let reversed = pages
        .iter()
        .rev()
        .zip(&products)
        .all(|(page, p)| page.sku == p.sku);
    assert!(
        !reversed,
        "returned the {COUNT} pages in reverse: page 0 is the last product's; keep the catalog's \
         order"
    );
    let came_back_at = pages.iter().position(|page| page.sku == first).unwrap_or(0);
    panic!(
        "the pages are not in the catalog's order, they follow the order the pages were \
         done: the grader held product 0's photo back until product {}'s was rendered, and \
         its page came back at position {came_back_at} of {COUNT} (page {at} is product {}'s); \
         keep each page at its product's place, whatever order the renders finish in",
        COUNT - 1,
        position(pages[at].sku)
    );
}
