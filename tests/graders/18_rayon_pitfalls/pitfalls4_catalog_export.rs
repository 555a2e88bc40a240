use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Page, Product, export_catalog};

/// A catalog of a few products renders in milliseconds; a pool that has not finished it after
/// this long never will: its threads all wait for work that only they could run.
const DEADLOCK_AFTER: Duration = Duration::from_secs(2);
/// How long the first render waits for a second one to run alongside it.
const PATIENCE: Duration = Duration::from_secs(2);

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

/// Where each render ran, and how many are started, finished.
#[derive(Clone, Default)]
struct Renders {
    photos_started: Arc<AtomicUsize>,
    photos_done: Arc<AtomicUsize>,
    descriptions_started: Arc<AtomicUsize>,
    descriptions_done: Arc<AtomicUsize>,
    /// Thread names of the renders that ran outside the shop's pool: (photo?, name).
    elsewhere: Arc<Mutex<Vec<(bool, String)>>>,
}

impl Renders {
    fn record<T>(&self, photo: bool, render: impl FnOnce() -> T) -> T {
        let (started, done) = if photo {
            (&self.photos_started, &self.photos_done)
        } else {
            (&self.descriptions_started, &self.descriptions_done)
        };
        started.fetch_add(1, Ordering::SeqCst);
        let name = thread::current().name().unwrap_or("").to_owned();
        if !name.starts_with(SHOP_POOL) {
            self.elsewhere
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((photo, name));
        }
        let output = render();
        done.fetch_add(1, Ordering::SeqCst);
        output
    }

    /// The grader's `render_photo` and `describe`; `also` runs at the start of every render.
    fn callbacks(
        &self,
        also: impl Fn() + Send + Sync + Clone + 'static,
    ) -> (
        impl Fn(&Product) -> String + Send + Sync + 'static,
        impl Fn(&Product) -> String + Send + Sync + 'static,
    ) {
        let (photos, descriptions) = (self.clone(), self.clone());
        let also_in_photo = also.clone();
        (
            move |product: &Product| {
                photos.record(true, || {
                    also_in_photo();
                    photo_of(product)
                })
            },
            move |product: &Product| {
                descriptions.record(false, || {
                    also();
                    description_of(product)
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
fn export(
    count: usize,
    threads: usize,
    limit: Duration,
    also: impl Fn() + Send + Sync + Clone + 'static,
) -> (Vec<Page>, Renders) {
    let renders = Renders::default();
    let (render_photo, describe) = renders.callbacks(also);
    let (outcome, cpu) = cpu_while(|| {
        Watchdog::new(
            limit,
            &format!("pool deadlock: export_catalog never finished on a {threads}-thread pool"),
        )
        .try_run(move || {
            let pool = shop_pool(threads);
            let products = catalog(count);
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

fn check_pages(pages: &[Page], products: &[Product]) {
    assert_eq!(
        pages.len(),
        products.len(),
        "returned {} pages for {} products: one page per product",
        pages.len(),
        products.len()
    );
    for (at, (page, product)) in pages.iter().zip(products).enumerate() {
        assert_eq!(
            *page,
            page_of(product),
            "page {at} of {} is not product {}'s page, with its own photo and description: \
             keep the catalog's order (collect does), and give each page its product's renders",
            products.len(),
            product.sku
        );
    }
}

#[test]
fn finishes_on_a_one_thread_pool() {
    for count in [3, 0, 1] {
        let (pages, _) = export(count, 1, DEADLOCK_AFTER, || {});
        check_pages(&pages, &catalog(count));
    }
}

#[test]
fn finishes_on_a_two_thread_pool() {
    let (pages, _) = export(8, 2, DEADLOCK_AFTER, || {});
    check_pages(&pages, &catalog(8));
}

#[test]
fn renders_each_photo_and_description_once() {
    const COUNT: usize = 3;
    let (_, renders) = export(COUNT, 1, DEADLOCK_AFTER, || {});
    let [photos, _, descriptions, _] = renders.counts();
    assert!(
        photos == COUNT && descriptions == COUNT,
        "rendered {photos} photos and {descriptions} descriptions for {COUNT} products (on a \
         1-thread pool, counting the jobs that ran after the export returned): render each \
         exactly once; a job queued on the pool runs even when nobody waits for its result any \
         more, so a page that gives up waiting and renders its photo itself pays for it twice",
    );
}

#[test]
fn renders_on_the_pool_it_is_given() {
    let (_, renders) = export(8, 2, DEADLOCK_AFTER, || {});
    let elsewhere = renders
        .elsewhere
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some((photo, thread)) = elsewhere.first() else {
        return;
    };
    let what = if *photo { "photos" } else { "descriptions" };
    let count = elsewhere.iter().filter(|(p, _)| p == photo).count();
    let place = if thread.starts_with(GLOBAL_POOL) {
        "rayon's global pool".to_owned()
    } else if thread.is_empty() {
        "a thread outside the pool".to_owned()
    } else {
        format!("thread {thread:?}, outside the pool")
    };
    panic!(
        "rendered {count} of 8 {what} on {place}, not on the pool export_catalog was given: the \
         shop sized `pool` for this work, and its threads sat waiting meanwhile; keep every \
         render on `pool`, and stop its threads from blocking instead"
    );
}

#[test]
fn renders_pages_in_parallel() {
    let meeting = Rendezvous::new(2, PATIENCE);
    let in_render = Arc::clone(&meeting);
    let (pages, _) = export(8, 2, PATIENCE + DEADLOCK_AFTER, move || in_render.arrive());
    check_pages(&pages, &catalog(8));
    assert!(
        meeting.met(),
        "rendered one thing at a time on a 2-thread pool: the first render waited {} for a \
         second one to run alongside it, and none did; render the pages in parallel on the pool",
        figure(PATIENCE)
    );
}
