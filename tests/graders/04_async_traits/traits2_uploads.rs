//! Grades the background upload through the grader's storage, which records when each photo's
//! upload started and finished on the paused clock (a `Timeline`). The caller sleeps between
//! looks at `done()`, so what the upload did meanwhile, and what `done()` said about it, are
//! facts at known instants. A multi-thread run checks that the task really moves between
//! threads' hands (it is `Send`), and `spawn_local` is named from tokio's panic.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use asynclings_grading::prelude::*;

use crate::exercise::{Storage, start_upload};

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
            *done == finished,
            "{at} s after start_upload returned, {finished} photo(s) had finished uploading \
             (they take 1 s, 3 s and 2 s, all at once), but done() said {done}: the count the \
             Upload reads is not the one the uploads update (a copy?), or it is updated at \
             another moment; count each photo, in the progress the Upload shares with the \
             task, as soon as its upload finishes"
        );
    }
    let expected: Vec<u64> = PHOTOS.iter().map(|p| id_of(p)).collect();
    assert_eq!(
        ids, expected,
        "finish() returned the wrong storage ids: one per photo, in the album's order"
    );
}

#[test]
fn progress_is_seen_from_outside_a_multi_thread_runtime() {
    let photos = ["a.png", "b.png", "c.png", "d.png", "e.png"];
    let (seen, started, ids) = real_clock()
        .multi_thread(2)
        .limit(Duration::from_secs(5))
        .explain_panics(explain)
        .run(move || async move {
            let started = Arc::new(AtomicUsize::new(0));
            let storage = storage(None, |_| Duration::from_millis(20), Arc::clone(&started));
            let upload = start_upload(album(&photos), storage);
            // The screen, on the thread that drives the runtime, looks at the progress until
            // every photo is done; the upload's task runs on the runtime's workers.
            let mut seen = upload.done();
            for _ in 0..200 {
                if seen == photos.len() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                seen = upload.done();
            }
            let started = started.load(SeqCst);
            (seen, started, upload.finish().await)
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
         of 20 ms each: the progress the screen reads is not the one the upload task updates; \
         share one progress between the Upload and its task",
        photos.len()
    );
    assert_eq!(
        ids,
        photos.iter().map(|p| id_of(p)).collect::<Vec<_>>(),
        "finish() returned the wrong storage ids on a multi-thread runtime: one per photo, in \
         the album's order"
    );
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
