use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use asynclings_grading::prelude::*;

use crate::exercise::{Photo, Progress, Thumbnail, Thumbnailer, import_photos};

/// How long the grader's work waits for something a correct program does within milliseconds
/// (another task of the runtime running, the bar being redrawn). Only a wrong program waits
/// this long, far above what a loaded 2-core machine adds to a correct one.
const PATIENCE: Duration = Duration::from_millis(1200);
/// A check still running after this long (real time) is stopped and named.
const LIMIT: Duration = Duration::from_secs(3);
/// Rayon's global pool, the same on every machine (each check runs in a process of its own).
const RAYON_THREADS: usize = 4;

/// What each way of never finishing means here (the verdict adds the measured facts).
const ON_NEVER_WOKEN: &str = "import_photos never finished: it waited for the thumbnails or for \
                              a progress update that never came";
const ON_BLOCKED: &str = "import_photos blocked the runtime's thread: it waited for the \
                          thumbnails (or made them) inside async code; hand the photos to rayon \
                          and .await the result while the bar is drawn";
const ON_BUSY: &str = "import_photos kept the runtime busy without finishing: a loop that checks \
                       again or yields instead of awaiting the progress updates";

fn pool_of_known_size() {
    // Fails only if the pool already exists, which a fresh check process rules out.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(RAYON_THREADS)
        .build_global();
}

fn photos(count: usize) -> Vec<Photo> {
    (0..count)
        .map(|i| Photo {
            name: format!("IMG_{:04}.jpg", 17 + i * 3),
            bytes: (0..64 + i * 5).map(|b| (b * 7 + i) as u8).collect(),
        })
        .collect()
}

/// The grader's thumbnail: every fourth byte.
fn shrink(photo: &Photo) -> Thumbnail {
    Thumbnail {
        name: photo.name.clone(),
        pixels: photo.bytes.iter().step_by(4).copied().collect(),
    }
}

fn check_thumbnails(made: &[Thumbnail], count: usize) {
    let expected: Vec<Thumbnail> = photos(count).iter().map(shrink).collect();
    if made == expected {
        return;
    }
    let names: Vec<&str> = made.iter().map(|t| t.name.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|t| t.name.as_str()).collect();
    panic!(
        "returned the thumbnails {names:?} for the photos {wanted:?}: one thumbnail per photo, \
         made by the thumbnailer, in the order of the photos"
    );
}

/// Busy on the CPU for `how_long`: the thumbnails a wrong program makes on the runtime.
fn spin_for(how_long: Duration) {
    let until = Instant::now() + how_long;
    let mut x = 1u64;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

// --- A heartbeat: does the runtime run another task while the thumbnails are made? -------

/// Where a call of the grader's code ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    Rayon,
    Runtime,
    Elsewhere,
}

fn site_here(heartbeat: &Heartbeat) -> Site {
    if rayon::current_thread_index().is_some() {
        Site::Rayon
    } else if heartbeat.ran_on_this_thread() {
        Site::Runtime
    } else {
        Site::Elsewhere
    }
}

/// What the last photo to start saw while it waited.
#[derive(Clone, Copy, Debug)]
struct LastPhoto {
    /// The runtime ran another task meanwhile.
    runtime_ran: bool,
    /// The bar showed a finished photo meanwhile (`None`: not asked, the runtime was stalled).
    bar_moved: Option<bool>,
    waited: Duration,
}

/// The grader's image library and progress bar for `the_bar_moves_while_the_photos_are_made`:
/// the last photo to start waits until the runtime has run another task and the bar shows a
/// finished photo, which a correct import does while that photo is still being made.
#[derive(Clone)]
struct Studio {
    count: usize,
    started: Arc<AtomicUsize>,
    sites: Arc<Mutex<Vec<(Site, Duration)>>>,
    spun: Arc<AtomicBool>,
    last: Arc<Mutex<Option<LastPhoto>>>,
    bar_moved: Arc<Gate>,
    drawings: Arc<Mutex<Vec<(Progress, Site)>>>,
}

impl Studio {
    fn new(count: usize) -> Self {
        Studio {
            count,
            started: Arc::default(),
            sites: Arc::default(),
            spun: Arc::default(),
            last: Arc::default(),
            // Opened, never waited at: the last photo waits on a deadline of its own.
            bar_moved: Gate::new(Duration::ZERO),
            drawings: Arc::default(),
        }
    }

    fn thumbnailer(&self, heartbeat: Heartbeat) -> Thumbnailer {
        let studio = self.clone();
        Arc::new(move |photo: &Photo| {
            let began = Instant::now();
            let site = site_here(&heartbeat);
            match site {
                Site::Runtime if !studio.spun.swap(true, Ordering::SeqCst) => spin_for(PATIENCE),
                Site::Rayon => {
                    let started = studio.started.fetch_add(1, Ordering::SeqCst) + 1;
                    if started == studio.count {
                        // Both waits share one `PATIENCE`, so a wrong import is named fast.
                        let runtime_ran = heartbeat.answered_within(PATIENCE);
                        let bar_moved = runtime_ran.then(|| {
                            let left = PATIENCE.saturating_sub(began.elapsed());
                            wait_until(left, || studio.bar_moved.is_open())
                        });
                        let last = LastPhoto {
                            runtime_ran,
                            bar_moved,
                            waited: began.elapsed(),
                        };
                        *studio.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(last);
                    }
                }
                _ => {}
            }
            let thumbnail = shrink(photo);
            let mut sites = studio.sites.lock().unwrap_or_else(|e| e.into_inner());
            sites.push((site, began.elapsed()));
            thumbnail
        })
    }

    fn bar(&self, heartbeat: Heartbeat) -> impl FnMut(Progress) + Send + 'static {
        let studio = self.clone();
        move |progress: Progress| {
            let site = site_here(&heartbeat);
            let mut drawings = studio.drawings.lock().unwrap_or_else(|e| e.into_inner());
            drawings.push((progress, site));
            if progress.done >= 1 {
                studio.bar_moved.open();
            }
        }
    }

    fn drawings(&self) -> Vec<(Progress, Site)> {
        self.drawings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn check(&self, runtime: &str) -> Result<(), String> {
        let sites = self.sites.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let on = |wanted: Site| sites.iter().filter(move |(site, _)| *site == wanted);
        if let Some(longest) = on(Site::Runtime).map(|(_, took)| *took).max() {
            return Err(format!(
                "the thumbnails were made on the runtime's own thread ({} of {}, {runtime}), \
                 and that stalled the runtime for {} ms: no other task could run, the bar \
                 included; hand the photos to rayon's pool and only .await the thumbnails",
                on(Site::Runtime).count(),
                sites.len(),
                longest.as_millis()
            ));
        }
        let elsewhere = on(Site::Elsewhere).count();
        if elsewhere > 0 {
            return Err(format!(
                "{elsewhere} of {} thumbnails were made outside rayon's pool (on tokio's \
                 blocking pool or a thread of your own, {runtime}): thumbnails are CPU work for \
                 rayon's threads; hand the photos to rayon's pool",
                sites.len()
            ));
        }
        let last = *self.last.lock().unwrap_or_else(|e| e.into_inner());
        let Some(last) = last else {
            return Err(format!(
                "only {} of {} photos were handed to the thumbnailer: make a thumbnail of \
                 every photo",
                self.started.load(Ordering::SeqCst),
                self.count
            ));
        };
        if !last.runtime_ran {
            return Err(format!(
                "the runtime's thread was blocked while the photos were made ({runtime}): the \
                 last photo waited {} ms for another task of the runtime to run, in vain, so \
                 the bar could not be redrawn either; wait for rayon's thumbnails with .await, \
                 not by blocking the thread (par_iter, install or a blocking recv in async code \
                 all block it)",
                last.waited.as_millis()
            ));
        }
        let drawings = self.drawings();
        let off_runtime = drawings.iter().filter(|(_, site)| *site != Site::Runtime);
        let off_runtime = off_runtime.count();
        if off_runtime > 0 {
            return Err(format!(
                "the bar was drawn from rayon's threads ({off_runtime} of {} drawings, \
                 {runtime}): it belongs to the async side, which must redraw it with what the \
                 watch channel delivers; rayon's threads only report progress",
                drawings.len()
            ));
        }
        if last.bar_moved == Some(false) {
            let first_move = drawings.iter().find(|(p, _)| p.done >= 1);
            let when = match first_move {
                Some(_) => "it first moved after every photo was done",
                None => "it never moved at all",
            };
            return Err(format!(
                "the bar did not move while the photos were made ({runtime}): with the other \
                 {} photos finished, the last one waited {} ms for the bar to show any of them, \
                 though the runtime was free; {when}, so the progress was reported after the \
                 fact; report each photo from rayon's side as it finishes, over the watch \
                 channel, and redraw while the thumbnails are still being made",
                self.count - 1,
                last.waited.as_millis()
            ));
        }
        Ok(())
    }
}

/// The drawings must never go backwards, keep the folder's total, and end on every photo done.
fn check_drawings(drawings: &[Progress], count: usize) -> Result<(), String> {
    let all_done = Progress {
        done: count,
        total: count,
    };
    if let Some(wrong) = drawings.iter().find(|p| p.total != count || p.done > count) {
        return Err(format!(
            "the bar showed {} of {} for a folder of {count} photos: the total is the number of \
             photos, and done never exceeds it",
            wrong.done, wrong.total
        ));
    }
    if let Some(pair) = drawings.windows(2).find(|pair| pair[1].done < pair[0].done) {
        return Err(format!(
            "the bar went backwards, from {} to {} of {count} photos done: count the finished \
             photos in the channel itself, so that two workers finishing at once cannot \
             overwrite each other's count",
            pair[0].done, pair[1].done
        ));
    }
    match drawings.last() {
        None => Err(format!(
            "the bar was never drawn, so it never showed the final value ({count} of {count} \
             done): the last drawing must show the import complete, even for an empty folder"
        )),
        Some(last) if *last != all_done => Err(format!(
            "the bar's last drawing was {} of {count} photos done: it never showed the final \
             value, though every thumbnail was made; the watch channel keeps the last value \
             for its receiver, so read it once the work is over ({} drawing(s) in all: {})",
            last.done,
            drawings.len(),
            drawings
                .iter()
                .map(|p| p.done.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(_) => Ok(()),
    }
}

// --- A runtime for checks that measure blocking themselves ---------------------------------

/// Which runtime a check runs its future on.
#[derive(Clone, Copy)]
enum Flavour {
    CurrentThread,
    /// A multi-thread runtime with this many workers.
    MultiThread(usize),
}

/// A real-clock runtime worded for this exercise. The grader's heartbeat and slow drawing
/// measure how long the runtime was held, and word it; so these runs leave blocking to it.
fn runtime(flavour: Flavour) -> Run {
    let run = real_clock()
        .limit(LIMIT)
        .on_never_woken(ON_NEVER_WOKEN)
        .on_blocked(ON_BLOCKED)
        .on_busy(ON_BUSY)
        .allow_blocking(
            "the grader's heartbeat and its slow drawing measure how long the runtime's thread \
             was held, and name where the bar was drawn",
        );
    match flavour {
        Flavour::CurrentThread => run,
        Flavour::MultiThread(workers) => run.multi_thread(workers),
    }
}

/// Makes sure at compile time that the import can be spawned, as the app does.
fn spawnable<F: Future + Send + 'static>(future: F) -> F {
    future
}

#[test]
fn the_bar_moves_while_the_photos_are_made() {
    const PHOTOS: usize = 6;
    pool_of_known_size();
    for multi_thread in [false, true] {
        let studio = Studio::new(PHOTOS);
        let inside = studio.clone();
        let flavour = if multi_thread {
            // One worker: the app's `#[tokio::main]` has one per core, and the import runs
            // as a spawned task on one of them.
            Flavour::MultiThread(1)
        } else {
            Flavour::CurrentThread
        };
        let made = runtime(flavour).run_spawned(move || async move {
            let heartbeat = Heartbeat::started().await;
            spawnable(import_photos(
                photos(PHOTOS),
                inside.thumbnailer(heartbeat.clone()),
                inside.bar(heartbeat),
            ))
            .await
        });
        let runtime = if multi_thread {
            "on a worker of a multi-thread runtime"
        } else {
            "on a current-thread runtime"
        };
        studio
            .check(runtime)
            .unwrap_or_else(|verdict| panic!("{verdict}"));
        check_thumbnails(&made, PHOTOS);
        // What the drawings end on is `the_bar_ends_on_every_photo_done`'s to check: there the
        // grader makes the last update and the thumbnails arrive together; here, whether they
        // do is luck, and a verdict must not depend on it.
    }
}

/// What one import with a slow drawing saw.
struct SlowDrawing {
    made: Vec<Thumbnail>,
    /// Every drawing, with where it was drawn.
    drawings: Vec<(Progress, Site)>,
    /// Thumbnails made when the slow drawing gave up waiting for the job to end, if it did.
    stalled_at: Option<usize>,
}

/// A gate that the photos after the first wait at, until the grader opens it; the waiters give
/// up together, `PATIENCE` after the first of them came (so a program that never draws costs
/// one `PATIENCE`, not one per photo).
struct Hold {
    gate: Arc<Gate>,
    first_wait: Mutex<Option<Instant>>,
}

impl Hold {
    fn new() -> Arc<Self> {
        Arc::new(Hold {
            gate: Gate::new(PATIENCE),
            first_wait: Mutex::new(None),
        })
    }

    fn wait(&self) {
        let first = *self
            .first_wait
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Instant::now);
        let left = PATIENCE.saturating_sub(first.elapsed());
        if !wait_until(left, || self.gate.is_open()) {
            self.gate.open();
        }
    }
}

/// One import where the first photo is made at once and the others only once the bar is
/// being drawn with that photo done (on the async side), and where that drawing lasts until
/// every thumbnail is made and the import's job has let go of the thumbnailer (so it is over
/// and its answer sent), or `PATIENCE` has passed. So the photos are made while the bar is
/// drawn, whatever the machine's load: a job that cannot go on while the bar is drawn (its
/// workers wait for the channel's value, which the drawing keeps borrowed) shows as thumbnails
/// stalled short of the count, each of rayon's threads having made one photo and then waited;
/// and when the drawing ends, the last progress update and the thumbnails are both waiting,
/// so only a receiver that reads the last value gets it.
fn import_with_a_slow_drawing(count: usize) -> SlowDrawing {
    let made_all = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(AtomicUsize::new(0));
    let hold = Hold::new();
    let (counted, inside_hold) = (Arc::clone(&made_all), Arc::clone(&hold));
    let thumbnailer: Thumbnailer = Arc::new(move |photo: &Photo| {
        let first = entered.fetch_add(1, Ordering::SeqCst) == 0;
        if !first && rayon::current_thread_index().is_some() {
            inside_hold.wait();
        }
        let thumbnail = shrink(photo);
        counted.fetch_add(1, Ordering::SeqCst);
        thumbnail
    });
    let ours = Arc::clone(&thumbnailer);
    let drawings = Arc::new(Mutex::new(Vec::new()));
    let stalled_at = Arc::new(Mutex::new(None));
    let (drawn, stalled) = (Arc::clone(&drawings), Arc::clone(&stalled_at));
    let held = Arc::new(AtomicBool::new(false));
    let show = move |progress: Progress| {
        let on_rayon = rayon::current_thread_index().is_some();
        if !on_rayon && progress.done >= 1 && !held.swap(true, Ordering::SeqCst) {
            hold.gate.open();
            let job_over =
                || made_all.load(Ordering::SeqCst) == count && Arc::strong_count(&ours) == 1;
            if !wait_until(PATIENCE, job_over) {
                let made = made_all.load(Ordering::SeqCst);
                *stalled.lock().unwrap_or_else(|e| e.into_inner()) = Some(made);
            }
        }
        let site = if on_rayon { Site::Rayon } else { Site::Runtime };
        drawn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((progress, site));
    };
    let made = runtime(Flavour::CurrentThread)
        .run(move || import_photos(photos(count), thumbnailer, show));
    let drawings = drawings.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let stalled_at = *stalled_at.lock().unwrap_or_else(|e| e.into_inner());
    SlowDrawing {
        made,
        drawings,
        stalled_at,
    }
}

#[test]
fn the_bar_ends_on_every_photo_done() {
    pool_of_known_size();
    // More photos than rayon has threads first: a job whose workers all wait cannot finish.
    for count in [2 * RAYON_THREADS, 1, 2, 0] {
        let import = import_with_a_slow_drawing(count);
        let on_rayon = import
            .drawings
            .iter()
            .filter(|(_, site)| *site == Site::Rayon)
            .count();
        if on_rayon > 0 {
            panic!(
                "the bar was drawn from rayon's threads ({on_rayon} of {} drawings): it belongs \
                 to the async side, which must redraw it with what the watch channel delivers; \
                 rayon's threads only report progress",
                import.drawings.len()
            );
        }
        if let Some(made) = import.stalled_at
            && made < count
        {
            panic!(
                "rayon's workers stalled while the bar was being drawn: during one drawing \
                 (the grader's bar took {} s to draw it), only {made} of {count} thumbnails \
                 were made, as if each worker that finished a photo then waited to report it; \
                 a Ref from borrow() or borrow_and_update() is a read lock on the watch \
                 channel, held until the end of the statement that took it (here, the whole \
                 drawing), and no worker can update the value meanwhile; copy the progress out \
                 of the channel before drawing it",
                PATIENCE.as_secs_f64()
            );
        }
        check_thumbnails(&import.made, count);
        let drawings: Vec<Progress> = import.drawings.iter().map(|(p, _)| *p).collect();
        check_drawings(&drawings, count).unwrap_or_else(|verdict| panic!("{verdict}"));
    }
}
