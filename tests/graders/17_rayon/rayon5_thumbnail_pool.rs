use std::collections::HashSet;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use asynclings_grading::cpu::seconds;
use asynclings_grading::prelude::*;

use crate::exercise::{Image, Thumbnail, ThumbnailPool};

/// How long the first images wait for the others to be resized alongside them. Idle workers
/// steal in microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);
/// The size of rayon's global pool in every check, and the names of its threads.
const GLOBAL_THREADS: usize = 2;
const GLOBAL_NAME: &str = "global-rayon-";

/// Configures rayon's global pool the way a service would at start-up (each check runs in a
/// process of its own, so this is the first use of it), with named threads so that work on it
/// can be recognised.
fn configure_global_pool() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(GLOBAL_THREADS)
        .thread_name(|index| format!("{GLOBAL_NAME}{index}"))
        .build_global()
        .expect("the grader could not configure rayon's global pool");
}

/// `ThumbnailPool::new(threads)`, with its failure worded.
fn build_service(threads: usize) -> ThumbnailPool {
    let built = catch_unwind(|| ThumbnailPool::new(threads))
        .map_err(|panic| panic_message(&panic).to_owned());
    let why = match built {
        Ok(Ok(service)) => return service,
        Ok(Err(error)) => error.to_string().trim_end_matches('.').to_owned(),
        Err(message) => format!("it panicked: {message}"),
    };
    let global = if why.contains("global") {
        ": rayon's global pool is configured once per process, before its first use, and the \
         service's process had already configured it (it is shared by the whole service); \
         build a pool of the service's own instead"
    } else {
        ""
    };
    panic!("ThumbnailPool::new({threads}) failed: {why}{global}");
}

fn images(count: usize) -> Vec<Image> {
    (0..count)
        .map(|i| Image {
            name: format!("upload-{:03}.jpg", 40 + i),
            width: 1200 + 16 * i as u32,
            height: 800 + 9 * i as u32,
        })
        .collect()
}

/// The grader's resizing: a tenth of each side.
fn shrink(image: &Image) -> Thumbnail {
    Thumbnail {
        name: image.name.clone(),
        width: image.width / 10,
        height: image.height / 10,
    }
}

/// Where one call of `resize` ran.
struct Seen {
    thread: ThreadId,
    on_global: bool,
    /// The size of the rayon pool it ran on, `None` outside rayon.
    pool_size: Option<usize>,
}

fn seen_here() -> Seen {
    let current = thread::current();
    Seen {
        thread: current.id(),
        on_global: current
            .name()
            .is_some_and(|name| name.starts_with(GLOBAL_NAME)),
        pool_size: rayon::current_thread_index().map(|_| rayon::current_num_threads()),
    }
}

/// Resizes `count` images with `service`, the first `gather` of them waiting for each other.
fn resize_gathered(
    service: &ThumbnailPool,
    count: usize,
    gather: usize,
) -> (Vec<Seen>, Arc<Rendezvous>) {
    let seen = Mutex::new(Vec::new());
    let gathering = Rendezvous::new(gather, PATIENCE);
    service.resize_all(&images(count), |image| {
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seen_here());
        gathering.arrive();
        shrink(image)
    });
    (
        seen.into_inner().unwrap_or_else(|e| e.into_inner()),
        gathering,
    )
}

#[test]
fn makes_every_thumbnail_in_order() {
    configure_global_pool();
    let service = build_service(2);
    assert!(
        service.threads() == 2,
        "ThumbnailPool::new(2).threads() said {}: report the threads the service was given",
        service.threads()
    );
    for count in [0, 1, 12] {
        let uploads = images(count);
        let calls = AtomicUsize::new(0);
        let thumbnails = service.resize_all(&uploads, |image| {
            calls.fetch_add(1, Ordering::SeqCst);
            shrink(image)
        });
        let calls = calls.into_inner();
        assert!(
            calls == count,
            "called resize {calls} times for {count} image(s): resize every image exactly once"
        );
        let names: Vec<&str> = thumbnails.iter().map(|t| t.name.as_str()).collect();
        let want: Vec<&str> = uploads.iter().map(|i| i.name.as_str()).collect();
        assert!(
            names == want,
            "for {count} image(s), the thumbnails came back as {names:?}: return them in the \
             order of `images`"
        );
        let sizes_right = thumbnails.iter().zip(&uploads).all(|(thumbnail, image)| {
            (thumbnail.width, thumbnail.height) == (image.width / 10, image.height / 10)
        });
        assert!(
            sizes_right,
            "the thumbnails are not what resize returned: return resize's thumbnail for each \
             image"
        );
    }
}

#[test]
fn resizes_on_its_own_pool_with_all_its_threads() {
    const THREADS: usize = 3;
    configure_global_pool();
    let service = build_service(THREADS);
    let (seen, gathering) = resize_gathered(&service, 24, THREADS);
    let total = seen.len();

    let on_global = seen.iter().filter(|s| s.on_global).count();
    assert!(
        on_global == 0,
        "resized {on_global} of {total} images on rayon's global pool (its {GLOBAL_THREADS} \
         threads), not on the service's own pool of {THREADS}: a parallel iterator runs on the \
         pool of the thread that starts it; start it inside the service's pool (install)"
    );
    let outside = seen.iter().filter(|s| s.pool_size.is_none()).count();
    assert!(
        outside == 0,
        "resized {outside} of {total} images on threads that belong to no rayon pool: run them \
         on the service's rayon pool"
    );
    if let Some(other) = seen
        .iter()
        .filter_map(|s| s.pool_size)
        .find(|&size| size != THREADS)
    {
        panic!(
            "resized images on a rayon pool of {other} thread(s), where the service was built \
             with {THREADS}: build its pool with the number of threads new() is given"
        );
    }
    if gathering.met() {
        return;
    }
    match gathering.arrived() {
        0 | 1 => panic!(
            "resized one image at a time on the service's {THREADS}-thread pool: the first \
             image waited {} for others to be resized alongside it, and none was; inside the \
             pool, hand the images to a parallel iterator so that every thread gets some",
            seconds(PATIENCE)
        ),
        met => panic!(
            "only {met} images were resized at the same time on the service's {THREADS}-thread \
             pool (the first waited {} for {} more): give every thread of the pool images to \
             resize",
            seconds(PATIENCE),
            THREADS - met
        ),
    }
}

#[test]
fn keeps_resizing_while_the_global_pool_is_busy() {
    configure_global_pool();
    let service = build_service(2);
    // Other work of the service takes every thread of the global pool, until the gate opens.
    let gate = Gate::new(Duration::from_secs(8));
    let busy = Arc::new(AtomicUsize::new(0));
    for _ in 0..GLOBAL_THREADS {
        let (gate, busy) = (Arc::clone(&gate), Arc::clone(&busy));
        rayon::spawn(move || {
            busy.fetch_add(1, Ordering::SeqCst);
            gate.wait();
        });
    }
    assert!(
        wait_until(Duration::from_secs(5), || busy.load(Ordering::SeqCst)
            == GLOBAL_THREADS),
        "the grader could not occupy rayon's global pool (is it used by something else?)"
    );
    // Eight tiny resizes on an idle pool of its own take milliseconds; this leaves room for a
    // loaded machine.
    let limit = Duration::from_secs(3);
    // The verdict names the limit, not the time measured: that would change from run to run.
    let (done, made) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(service.resize_all(&images(8), shrink).len());
    });
    let made = made.recv_timeout(limit);
    gate.open();
    match made {
        Ok(8) => {}
        Ok(other) => panic!("resize_all returned {other} thumbnails for 8 images"),
        Err(RecvTimeoutError::Timeout) => panic!(
            "resize_all had not finished after {} while other work held all {GLOBAL_THREADS} \
             threads of rayon's global pool: the thumbnails were queued on the global pool, \
             behind that work; run them on the service's own pool (install), which nothing \
             else uses",
            seconds(limit)
        ),
        Err(RecvTimeoutError::Disconnected) => {
            panic!("resize_all panicked while the global pool was busy")
        }
    }
}

#[test]
fn builds_its_pool_once() {
    const THREADS: usize = 3;
    configure_global_pool();
    let service = build_service(THREADS);
    let mut threads: HashSet<ThreadId> = HashSet::new();
    for _ in 0..2 {
        // Each call's first images wait for each other, so every thread of the pool takes part.
        let (seen, _) = resize_gathered(&service, 12, THREADS);
        threads.extend(seen.iter().map(|s| s.thread));
    }
    assert!(
        threads.len() <= THREADS,
        "2 calls of resize_all on a {THREADS}-thread service ran on {} different threads: each \
         call started threads of its own (a pool built on every call?). A pool's threads live \
         as long as the pool: build it once, in new, and keep it in the service",
        threads.len()
    );
    // A second service of another size lives beside the first one.
    let (seen, _) = resize_gathered(&build_service(2), 4, 1);
    let elsewhere: Vec<&Seen> = seen.iter().filter(|s| s.pool_size != Some(2)).collect();
    if let Some(first) = elsewhere.first() {
        let pool = match first.pool_size {
            Some(size) => format!("a {size}-thread rayon pool"),
            None => "threads of no rayon pool".to_owned(),
        };
        let shared = if first.pool_size == Some(THREADS) {
            ", the size of the first service's pool: a pool shared by every service has the \
             size of the service that built it"
        } else {
            ""
        };
        panic!(
            "a second service, built with 2 threads beside one of {THREADS}, resized {} of {} \
             images on {pool}{shared}. Every service builds a pool of its own, once, in new, \
             with the threads it is given",
            elsewhere.len(),
            seen.len()
        );
    }
}
