//! Grades `render_album` on a paused clock: the grader's image service renders each photo after
//! a latency of its own (virtual time), on a `Timeline`, and counts the renders it was asked
//! for. The facts that decide: whether every render was running at one instant, when
//! `render_album` returned (virtual time) and which renders had finished by then, and the ids
//! of the thumbnails it returned, in order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_grading::prelude::*;
use tokio::time::{Instant, sleep};

use crate::exercise::{Thumbnail, render_album};

/// What one call of `render_album` did.
struct Outcome {
    thumbnails: Vec<Thumbnail>,
    /// Virtual time from the call to its return.
    returned_at: Duration,
    /// Renders (photo ids) that had finished when `render_album` returned.
    done_at_return: Vec<u32>,
    /// How many times each photo was sent to the image service.
    requests: BTreeMap<u32, usize>,
    /// The task each render ran in (`None`: no task, the caller's own future), by photo.
    ran_in: Vec<(u32, Option<tokio::task::Id>)>,
    timeline: Timeline,
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

fn bytes_of(photo: u32) -> usize {
    photo as usize * 7 + 100
}

fn ids(photos: &[(u32, u64)]) -> Vec<u32> {
    photos.iter().map(|&(photo, _)| photo).collect()
}

fn list(ids: &[u32]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    ids.join(", ")
}

/// Runs `render_album` over `photos` (id, render latency in ms of virtual time).
fn album(photos: &[(u32, u64)]) -> Outcome {
    let photos = photos.to_vec();
    paused_clock()
        .on_blocked(
            "render_album held the runtime's thread while the renders waited (a block_on or a \
             thread sleep inside async code?); .await the render tasks instead",
        )
        .would_hang_after(
            Duration::from_secs(600),
            "every render ends after its latency: await each photo's task",
        )
        .run(move || async move {
            let timeline = Timeline::new();
            let requests: Arc<Mutex<BTreeMap<u32, usize>>> = Arc::default();
            let done: Arc<Mutex<Vec<u32>>> = Arc::default();
            let ran_in: Arc<Mutex<Vec<(u32, Option<tokio::task::Id>)>>> = Arc::default();
            let latencies: BTreeMap<u32, u64> = photos.iter().copied().collect();
            let render = {
                let (timeline, requests, done, ran_in) = (
                    timeline.clone(),
                    Arc::clone(&requests),
                    Arc::clone(&done),
                    Arc::clone(&ran_in),
                );
                move |photo: u32| {
                    *requests.lock().unwrap().entry(photo).or_default() += 1;
                    let latency =
                        Duration::from_millis(latencies.get(&photo).copied().unwrap_or(0));
                    let done = Arc::clone(&done);
                    let ran_in = Arc::clone(&ran_in);
                    timeline.op(format!("photo {photo}"), async move {
                        ran_in.lock().unwrap().push((photo, tokio::task::try_id()));
                        sleep(latency).await;
                        done.lock().unwrap().push(photo);
                        Thumbnail {
                            photo,
                            bytes: bytes_of(photo),
                        }
                    })
                }
            };
            let origin = Instant::now();
            let thumbnails = render_album(ids(&photos), render).await;
            let returned_at = origin.elapsed();
            let done_at_return = done.lock().unwrap().clone();
            let requests = requests.lock().unwrap().clone();
            let ran_in = ran_in.lock().unwrap().clone();
            Outcome {
                thumbnails,
                returned_at,
                done_at_return,
                requests,
                ran_in,
                timeline,
            }
        })
}

/// Fails unless every photo was sent to the image service exactly once, and every render had
/// finished and been collected when `render_album` returned.
fn check_collected(photos: &[(u32, u64)], outcome: &Outcome) {
    let album = ids(photos);
    for &photo in &album {
        let asked = outcome.requests.get(&photo).copied().unwrap_or(0);
        assert!(
            asked == 1,
            "photo {photo} was sent to the image service {asked} time(s): render each photo of \
             the album once"
        );
    }
    let missing: Vec<u32> = album
        .iter()
        .copied()
        .filter(|photo| !outcome.done_at_return.contains(photo))
        .collect();
    if !missing.is_empty() {
        panic!(
            "render_album returned after {} ms of virtual time, while the renders of photo(s) {} \
             had not finished (the slowest takes {} ms): their tasks were spawned but nobody \
             waited for them, so their thumbnails were never collected (and the runtime dropped \
             them when it shut down); keep each task's JoinHandle and await it",
            ms(outcome.returned_at),
            list(&missing),
            photos.iter().map(|&(_, l)| l).max().unwrap_or(0)
        );
    }
}

/// Fails unless the thumbnails are the album's, one per photo, in the album's order.
fn check_in_album_order(photos: &[(u32, u64)], outcome: &Outcome) {
    let album = ids(photos);
    let got: Vec<u32> = outcome.thumbnails.iter().map(|t| t.photo).collect();
    if got == album {
        for thumbnail in &outcome.thumbnails {
            assert_eq!(
                thumbnail.bytes,
                bytes_of(thumbnail.photo),
                "the thumbnail of photo {} is not the one the image service rendered for it",
                thumbnail.photo
            );
        }
        return;
    }
    let mut finished = outcome.done_at_return.clone();
    finished.retain(|photo| album.contains(photo));
    if got.len() == album.len() && got == finished {
        panic!(
            "returned the thumbnails in the order the renders finished ({}), not in the album's \
             order ({}): keep the results in the order the photos were given, whatever order \
             their tasks end in",
            list(&got),
            list(&album)
        );
    }
    panic!(
        "returned the thumbnails of photos [{}] for the album [{}]: one thumbnail per photo, in \
         the album's order",
        list(&got),
        list(&album)
    );
}

/// Fails unless every render ran in a task of its own: tasks are what the runtime can run on
/// several threads at once, and what keeps one render's trouble from holding up the others.
fn check_own_tasks(outcome: &Outcome) {
    let photos = |pick: &dyn Fn(&Option<tokio::task::Id>) -> bool| -> Vec<u32> {
        outcome
            .ran_in
            .iter()
            .filter(|(_, id)| pick(id))
            .map(|&(photo, _)| photo)
            .collect()
    };
    let untasked = photos(&|id| id.is_none());
    if !untasked.is_empty() {
        panic!(
            "the renders of photo(s) {} ran in no task of their own: render_album's own future \
             polled them (join_all or join! do that), so they all share one task, which the \
             runtime can only run on one thread at a time, and one render that computes for a \
             while holds up all the others; spawn each render as a task and keep its JoinHandle",
            list(&untasked)
        );
    }
    for (at, &(photo, id)) in outcome.ran_in.iter().enumerate() {
        let shared = photos(&|other| *other == id);
        if shared.len() > 1
            && outcome.ran_in[..at]
                .iter()
                .all(|(_, earlier)| *earlier != id)
        {
            panic!(
                "the renders of photos {} (photo {photo} first) all ran inside one spawned task, \
                 which polled them together: the runtime can only run that task on one thread at \
                 a time; spawn each render as a task of its own",
                list(&shared)
            );
        }
    }
}

const ALBUM: [(u32, u64); 4] = [(7, 300), (42, 100), (3, 500), (8, 200)];

#[test]
fn renders_every_photo_at_the_same_time() {
    let outcome = album(&ALBUM);
    check_collected(&ALBUM, &outcome);
    outcome
        .timeline
        .check_all_at_once(
            Duration::from_millis(500),
            "the album waited for each render before starting the next; have every photo's \
             task running before you await any of them",
        )
        .unwrap_or_else(|verdict| panic!("{verdict}"));
    assert!(
        outcome.returned_at == Duration::from_millis(500),
        "render_album returned after {} ms of virtual time, but the slowest render takes 500 ms \
         and they all ran at once: return as soon as the last one is done",
        ms(outcome.returned_at)
    );
}

#[test]
fn renders_each_photo_in_a_task_of_its_own() {
    let outcome = album(&ALBUM);
    check_collected(&ALBUM, &outcome);
    check_own_tasks(&outcome);
}

#[test]
fn returns_each_thumbnail_in_album_order() {
    // The renders finish in the reverse of the album's order.
    const REVERSED: [(u32, u64); 5] = [(19, 900), (4, 700), (1000, 400), (23, 200), (5, 100)];
    let outcome = album(&REVERSED);
    check_collected(&REVERSED, &outcome);
    check_in_album_order(&REVERSED, &outcome);
    let outcome = album(&ALBUM);
    check_collected(&ALBUM, &outcome);
    check_in_album_order(&ALBUM, &outcome);
}

#[test]
fn a_one_photo_album() {
    let single = [(61, 250)];
    let outcome = album(&single);
    check_collected(&single, &outcome);
    check_in_album_order(&single, &outcome);
    assert!(
        outcome.returned_at == Duration::from_millis(250),
        "an album of one photo whose render takes 250 ms returned after {} ms of virtual time",
        ms(outcome.returned_at)
    );
}

#[test]
fn renders_that_are_ready_at_once_are_collected_too() {
    // Renders that are ready at once (a cache): nothing to wait for, still all collected.
    let instant = [(2, 0), (1, 0), (77, 0)];
    let outcome = album(&instant);
    check_collected(&instant, &outcome);
    check_in_album_order(&instant, &outcome);
}

#[test]
fn an_empty_album_returns_at_once() {
    let outcome = album(&[]);
    assert!(
        outcome.thumbnails.is_empty(),
        "an empty album gave {} thumbnail(s)",
        outcome.thumbnails.len()
    );
    assert!(
        outcome.returned_at == Duration::ZERO,
        "an empty album took {} ms of virtual time: there is nothing to wait for",
        ms(outcome.returned_at)
    );
}
