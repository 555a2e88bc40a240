//! Grades the background upload through the grader's storage, which records when each photo's
//! upload started and finished on the paused clock (a `Timeline`). The caller sleeps between
//! looks at `done()`, so what the upload did meanwhile, and what `done()` said about it, are
//! facts at known instants. A multi-thread run checks that the task really moves between
//! threads' hands (it is `Send`), and `spawn_local` is named from tokio's panic.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::sync::Semaphore;

use crate::exercise::{Storage, Upload, start_upload};

/// What a start_upload that waits for its own upload is told.
const START_BLOCKED: &str = "start_upload did not return while its photos' uploads waited: it \
                             waited for the upload itself (a block_on, block_in_place) and \
                             blocked the caller's thread; return the Upload at once, and leave \
                             the upload to a task of its own, spawned on the runtime";

/// Checks that `ids` are the storage ids of `photos`, in the album's order.
fn check_ids(photos: &[&str], ids: &[u64]) {
    let expected: Vec<u64> = photos.iter().map(|p| id_of(p)).collect();
    if ids == expected {
        return;
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort_unstable();
    if sorted == expected_sorted {
        let order: Vec<&str> = ids
            .iter()
            .map(|id| photos[expected.iter().position(|e| e == id).unwrap()])
            .collect();
        panic!(
            "finish() returned the photos' ids in the order {order:?}, the order they finished \
             uploading, not the album's order {photos:?}; keep each id at its photo's place"
        );
    }
    panic!(
        "finish() returned {} id(s) for an album of {} photos, not one storage id per photo in \
         the album's order",
        ids.len(),
        photos.len()
    );
}

/// The storage id the grader's storage gives a photo.
fn id_of(photo: &str) -> u64 {
    photo.bytes().fold(7u64, |h, b| h * 31 + u64::from(b))
}

/// A storage whose upload of each photo takes `delay(photo)`, on `timeline` if given; counts
/// the uploads that started.
fn storage(
    timeline: Option<Timeline>,
    delay: fn(&str) -> Duration,
    started: Arc<AtomicUsize>,
) -> Storage {
    Arc::new(move |photo: String| {
        let (timeline, started) = (timeline.clone(), Arc::clone(&started));
        Box::pin(async move {
            started.fetch_add(1, SeqCst);
            let wait = tokio::time::sleep(delay(&photo));
            match timeline {
                Some(timeline) => timeline.op(photo.clone(), wait).await,
                None => wait.await,
            }
            id_of(&photo)
        })
    })
}

fn album(photos: &[&str]) -> Vec<String> {
    photos.iter().map(|p| (*p).to_owned()).collect()
}

fn explain(message: &str) -> Option<String> {
    if message.contains("spawn_local") {
        return Some(
            "start_upload spawned the upload with spawn_local, and tokio panicked: a local task \
             needs a LocalSet on the calling thread, and the app's runtime is a plain one whose \
             workers all poll tasks; make the upload's future Send (share the progress with \
             thread-safe types) and spawn it on the runtime"
                .to_owned(),
        );
    }
    if message.contains("can call blocking only when running on the multi-threaded runtime") {
        return Some(
            "start_upload waited for the upload itself with block_in_place, and tokio panicked \
             (a current-thread runtime has no other thread to hand its tasks to); return the \
             Upload at once, and leave the upload to a task of its own, spawned on the runtime"
                .to_owned(),
        );
    }
    message.contains("Cannot block the current thread").then(|| {
        "done() waited for an async lock with a blocking call, and tokio panicked: the screen \
         calls done() from async code, on a runtime thread, where blocking is refused; done() \
         must only take a quick look: a lock that is never held across an .await (a std \
         Mutex) or an atomic count"
            .to_owned()
    })
}

/// The photos' upload times: 1 s, 3 s and 2 s.
const PHOTOS: [&str; 3] = ["beach.jpg", "dunes.jpg", "harbour.jpg"];

fn delay(photo: &str) -> Duration {
    match photo {
        "beach.jpg" => Duration::from_secs(1),
        "dunes.jpg" => Duration::from_secs(3),
        _ => Duration::from_secs(2),
    }
}

#[test]
fn done_counts_each_photo_as_its_upload_finishes() {
    let (looks, ids, timeline) = paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(START_BLOCKED)
        .explain_panics(explain)
        .on_never_woken("the upload never finished: a photo's upload waited for nothing")
        .run(|| async {
            let timeline = Timeline::new();
            let started = Arc::new(AtomicUsize::new(0));
            let storage = storage(Some(timeline.clone()), delay, Arc::clone(&started));
            let upload = start_upload(album(&PHOTOS), storage);
            let mut looks = vec![(0.0, upload.done(), started.load(SeqCst))];
            // The caller does other things; the upload goes on in its task meanwhile.
            for at in [0.5, 1.5, 2.5] {
                tokio::time::sleep(Duration::from_millis(if at == 0.5 { 500 } else { 1000 }))
                    .await;
                looks.push((at, upload.done(), started.load(SeqCst)));
            }
            let ids = upload.finish().await;
            (looks, ids, timeline)
        });
    // Seconds after start_upload returned, and how many photos had finished by then.
    let expected = [(0.0, 0), (0.5, 0), (1.5, 1), (2.5, 2)];
    for (at, _, started) in &looks {
        if *at > 0.0 && *started == 0 {
            panic!(
                "no photo's upload had started {at} s after start_upload returned, while the \
                 caller did other work: the upload runs only when finish() is awaited; start \
                 it as a task of its own in start_upload"
            );
        }
    }
    timeline
        .check_all_at_once(
            Duration::from_secs(3),
            "upload the album's photos at the same time, each counting itself done without \
             holding anything the others need while it uploads",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    for ((at, done, _), (_, finished)) in looks.iter().zip(expected) {
        assert!(
            *done <= finished,
            "{at} s after start_upload returned, done() said {done}, but only {finished} \
             photo(s) had finished uploading (they take 1 s, 3 s and 2 s, all at once): photos \
             were counted before their upload was over; count each photo once its upload has \
             finished"
        );
        assert!(
            *done == finished,
            "{at} s after start_upload returned, {finished} photo(s) had finished uploading \
             (they take 1 s, 3 s and 2 s, all at once), but done() said {done}: photos are \
             counted late (only once every photo is stored?), or in a count the Upload does not \
             read (a copy?); count each photo, in the progress the Upload shares with the task, \
             as soon as its upload finishes"
        );
    }
    check_ids(&PHOTOS, &ids);
}

/// Reads a value's progress on another thread when its type may be shared with one, `None`
/// when it may not: an inherent method whose bounds do not hold gives way to the trait's.
struct ThreadSafety<T>(PhantomData<T>);

trait NotThreadSafe<T> {
    fn read_elsewhere(&self, _: &T, _: fn(&T) -> usize) -> Option<usize> {
        None
    }
}

impl<T> NotThreadSafe<T> for ThreadSafety<T> {}

impl<T: Send + Sync> ThreadSafety<T> {
    fn read_elsewhere(&self, value: &T, read: fn(&T) -> usize) -> Option<usize> {
        Some(std::thread::scope(|s| s.spawn(|| read(value)).join().unwrap()))
    }
}

#[test]
fn the_screens_thread_sees_the_progress_on_a_multi_thread_runtime() {
    let photos = ["a.png", "b.png", "c.png", "d.png", "e.png"];
    let (seen, started, elsewhere, ids) = real_clock()
        .multi_thread(2)
        .limit(Duration::from_secs(5))
        .on_blocked(START_BLOCKED)
        .on_never_woken(START_BLOCKED)
        .explain_panics(explain)
        .run(move || async move {
            // Every photo's upload waits until the grader opens the gate, after start_upload
            // has returned: a start_upload that waits for the uploads never returns.
            let gate = Arc::new(Semaphore::new(0));
            let started = Arc::new(AtomicUsize::new(0));
            let storage: Storage = {
                let (gate, started) = (Arc::clone(&gate), Arc::clone(&started));
                Arc::new(move |photo: String| {
                    let (gate, started) = (Arc::clone(&gate), Arc::clone(&started));
                    Box::pin(async move {
                        started.fetch_add(1, SeqCst);
                        gate.acquire().await.expect("the gate stays open").forget();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        id_of(&photo)
                    })
                })
            };
            let upload = start_upload(album(&photos), storage);
            gate.add_permits(photos.len());
            // The caller looks at the progress until every photo is done; the upload's task
            // runs on the runtime's workers.
            let mut seen = upload.done();
            for _ in 0..200 {
                if seen == photos.len() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                seen = upload.done();
            }
            let started = started.load(SeqCst);
            // The app's screen reads it from a thread of its own.
            let elsewhere =
                ThreadSafety::<Upload>(PhantomData).read_elsewhere(&upload, Upload::done);
            (seen, started, elsewhere, upload.finish().await)
        });
    assert!(
        started > 0,
        "on a multi-thread runtime, no photo's upload had started after 2 s while the caller \
         looked at done(): the upload runs only when finish() is awaited; start it as a task \
         of its own in start_upload"
    );
    assert!(
        seen == photos.len(),
        "on a multi-thread runtime, done() still said {seen} of {} photos after 2 s of uploads \
         of 20 ms each: the progress the caller reads is not the one the upload task updates; \
         share one progress between the Upload and its task",
        photos.len()
    );
    let Some(elsewhere) = elsewhere else {
        panic!(
            "the app's screen cannot read the progress from its own thread: Upload is not Send \
             and Sync, so it holds something that is not safe to share between threads (an Rc, \
             a RefCell), whatever its task was made to claim; share the progress between the \
             Upload and its task with thread-safe types"
        );
    };
    assert!(
        elsewhere == photos.len(),
        "read from the screen's thread, done() said {elsewhere} of {} photos once all were \
         stored; share one progress between the Upload and its task",
        photos.len()
    );
    check_ids(&photos, &ids);
}

#[test]
fn an_empty_album_finishes_with_no_ids() {
    let (done, ids) = paused_clock()
        .limit(Duration::from_secs(2))
        .explain_panics(explain)
        .run(|| async {
            let storage = storage(None, delay, Arc::default());
            let upload = start_upload(Vec::new(), storage);
            tokio::time::sleep(Duration::from_secs(1)).await;
            let done = upload.done();
            (done, upload.finish().await)
        });
    assert!(
        done == 0 && ids.is_empty(),
        "an empty album reported {done} photo(s) done and the ids {ids:?}: nothing to upload"
    );
}
