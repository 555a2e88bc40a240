use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_grading::cpu::seconds;
use asynclings_grading::parallel::Rendezvous;

use crate::exercise::{CUTOFF, exposure};

/// How long the first pieces wait for the others to be measured alongside them. Idle workers
/// steal in microseconds; this leaves room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(2);

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("the grader could not build a rayon pool")
}

/// A photo of `len` pixels, every pixel a different brightness from its neighbours.
fn photo(len: usize) -> Vec<u16> {
    (0..len).map(|i| ((i * 31 + 7) % 4096) as u16).collect()
}

/// The grader's `measure`: the sum of a run's pixels.
fn brightness(run: &[u16]) -> u64 {
    run.iter().map(|&pixel| u64::from(pixel)).sum()
}

/// A piece `measure` was handed: where it starts in the photo (`None` if it is not a part of
/// the photo, a copy), and how many pixels it has.
#[derive(Clone, Copy)]
struct Piece {
    start: Option<usize>,
    len: usize,
}

/// Meters `pixels` on a pool of `threads`; returns the total and the pieces measured.
fn meter(pixels: &[u16], threads: usize) -> (u64, Vec<Piece>) {
    let pieces = Mutex::new(Vec::new());
    // Addresses as numbers: where a piece starts tells which pixels it holds.
    let first = pixels.as_ptr() as usize;
    let end = first + std::mem::size_of_val(pixels);
    let total = pool(threads).install(|| {
        exposure(pixels, &|run: &[u16]| {
            let at = run.as_ptr() as usize;
            let inside = first <= at && at + std::mem::size_of_val(run) <= end;
            let start = inside.then(|| (at - first) / size_of::<u16>());
            let piece = Piece {
                start,
                len: run.len(),
            };
            pieces.lock().unwrap_or_else(|e| e.into_inner()).push(piece);
            brightness(run)
        })
    });
    (
        total,
        pieces.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

fn pixels(first: usize, last: usize) -> String {
    if first == last {
        format!("pixel {first} was")
    } else {
        format!("pixels {first} to {last} were")
    }
}

/// Where the pieces fail to cover `len` pixels exactly once, if they do.
fn coverage_problem(pieces: &[Piece], len: usize) -> Option<String> {
    // Pieces that are copies cannot be placed; the other checks still count their pixels.
    let mut starts: Vec<(usize, usize)> = pieces
        .iter()
        .filter(|piece| piece.len > 0)
        .map(|piece| piece.start.map(|start| (start, piece.len)))
        .collect::<Option<_>>()?;
    starts.sort_unstable();
    let mut next = 0;
    for (start, piece_len) in starts {
        if start > next {
            return Some(format!("{} never measured", pixels(next, start - 1)));
        }
        if start < next {
            let last = (start + piece_len).min(next) - 1;
            return Some(format!("{} measured twice", pixels(start, last)));
        }
        next = start + piece_len;
    }
    (next < len).then(|| format!("{} never measured", pixels(next, len - 1)))
}

/// The pieces of a photo of `len` pixels that splitting in halves gives, from the left: every
/// piece longer than `CUTOFF` split at `middle(len)`.
fn halving(len: usize, middle: fn(usize) -> usize) -> Vec<usize> {
    if len <= CUTOFF {
        return vec![len];
    }
    let left = middle(len);
    let mut pieces = halving(left, middle);
    pieces.extend(halving(len - left, middle));
    pieces
}

/// The two middles a split in halves may use: the left half the smaller one, or the larger.
const MIDDLES: [fn(usize) -> usize; 2] = [|len| len / 2, |len| len.div_ceil(2)];

/// Whether the pieces, by where they start, come from splitting pixels `start..start + len`
/// in two halves, and those in halves again (at either middle, whatever the cutoff).
fn split_in_halves(
    pieces: &BTreeMap<usize, usize>,
    start: usize,
    len: usize,
    shortest: usize,
    seen: &mut HashMap<(usize, usize), bool>,
) -> bool {
    if pieces.get(&start) == Some(&len) {
        return true;
    }
    if len < 2 || len < shortest {
        return false;
    }
    if let Some(&known) = seen.get(&(start, len)) {
        return known;
    }
    let halves = MIDDLES.iter().any(|middle| {
        let left = middle(len);
        split_in_halves(pieces, start, left, shortest, seen)
            && split_in_halves(pieces, start + left, len - left, shortest, seen)
    });
    seen.insert((start, len), halves);
    halves
}

/// Lengths in a few words: "[1024, 1024, 952]", or "10 pieces of 625 to 626".
fn lengths(pieces: &[usize]) -> String {
    let (Some(shortest), Some(longest)) = (pieces.iter().min(), pieces.iter().max()) else {
        return "no pieces".to_owned();
    };
    if pieces.len() <= 10 {
        format!("{} piece(s) of {pieces:?} pixels", pieces.len())
    } else if shortest == longest {
        format!("{} pieces of {shortest} pixels", pieces.len())
    } else {
        format!("{} pieces of {shortest} to {longest} pixels", pieces.len())
    }
}

/// How deep splitting `len` pixels goes when each split takes `CUTOFF` pixels off one end, and
/// when it splits in halves.
fn depths(len: usize) -> (usize, u32) {
    let pieces = len.div_ceil(CUTOFF);
    (pieces - 1, pieces.next_power_of_two().trailing_zeros())
}

#[test]
fn measures_every_pixel_once() {
    for len in [0, 1, 1000, CUTOFF, CUTOFF + 1, 4096, 10_007] {
        let pixels = photo(len);
        let (total, pieces) = meter(&pixels, 2);
        if let Some(problem) = coverage_problem(&pieces, len) {
            panic!(
                "in a photo of {len} pixels, {problem}: the two halves of a split must share no \
                 pixel and miss none"
            );
        }
        let handed: usize = pieces.iter().map(|piece| piece.len).sum();
        assert!(
            handed == len,
            "measure was handed {handed} pixels in all for a photo of {len}: hand it every pixel \
             once"
        );
        let want = brightness(&pixels);
        assert!(
            total == want,
            "exposure returned {total} for a photo of {len} pixels whose pieces measure {want} \
             in all: add up what measure returned for both halves"
        );
    }
}

#[test]
fn no_piece_is_longer_than_the_cutoff() {
    for len in [3000, 4096, 10_007] {
        let (_, pieces) = meter(&photo(len), 2);
        let longest = pieces.iter().map(|piece| piece.len).max().unwrap_or(0);
        assert!(
            longest <= CUTOFF,
            "measure got a piece of {longest} pixels in one go (a photo of {len} pixels, cut \
             into {} piece(s)), where CUTOFF allows {CUTOFF}: keep splitting in halves while a \
             piece is longer than CUTOFF, so that every pool thread gets pieces to work on",
            pieces.len()
        );
    }
}

#[test]
fn stops_splitting_at_the_cutoff() {
    // Large photos first: how far the splitting goes shows best there.
    for len in [4096, 10_007, 1000, CUTOFF] {
        let (_, pieces) = meter(&photo(len), 2);
        let count = pieces.len();
        if len <= CUTOFF {
            assert!(
                count <= 1,
                "split a photo of {len} pixels into {count} pieces, although it is within the \
                 cutoff ({CUTOFF}): measure a piece that small in one go"
            );
            continue;
        }
        let smallest = pieces
            .iter()
            .map(|piece| piece.len)
            .filter(|&len| len > 0)
            .min()
            .unwrap_or(0);
        assert!(
            smallest >= CUTOFF / 4,
            "split a photo of {len} pixels down to pieces of {smallest} pixel(s): {count} \
             pieces, {} levels of splits deep, so about {} rayon::join calls, most of them \
             sharing out less work than a join costs; stop splitting once a piece has at most \
             CUTOFF ({CUTOFF}) pixels (the sequential cutoff)",
            count.next_power_of_two().trailing_zeros(),
            count.saturating_sub(1)
        );
    }
}

#[test]
fn measures_pieces_at_the_same_time() {
    const THREADS: usize = 4;
    // 8192 pixels make 8 pieces: enough for each of the 4 threads to hold one at once.
    let pixels = photo(8 * CUTOFF);
    let gathering = Rendezvous::new(THREADS, PATIENCE);
    let pieces = AtomicUsize::new(0);
    pool(THREADS).install(|| {
        exposure(&pixels, &|run: &[u16]| {
            pieces.fetch_add(1, Ordering::SeqCst);
            gathering.arrive();
            brightness(run)
        })
    });
    if gathering.met() {
        return;
    }
    let met = gathering.arrived();
    if met <= 1 {
        panic!(
            "measured one piece at a time: on a {THREADS}-thread pool, the first piece waited \
             {} for others to be measured alongside it, and none was; work on both halves of \
             every split with rayon::join, so that idle workers can steal them",
            seconds(PATIENCE)
        );
    }
    let pieces = pieces.into_inner();
    if pieces < THREADS {
        panic!(
            "only {met} pieces were measured at the same time on a {THREADS}-thread pool: the \
             photo of {} pixels was cut into {pieces} pieces, fewer than the pool has threads; \
             keep splitting with rayon::join down to the cutoff",
            pixels.len()
        );
    }
    panic!(
        "only {met} of the {pieces} pieces were measured at the same time on a {THREADS}-thread \
         pool (the first waited {} for {} more): the splits below the first ones ran \
         sequentially; use rayon::join at every level of the split, down to the cutoff",
        seconds(PATIENCE),
        THREADS - met
    );
}

#[test]
fn splits_every_piece_in_halves() {
    for len in [3000, 10_007] {
        let (_, pieces) = meter(&photo(len), 2);
        if let Some(problem) = coverage_problem(&pieces, len) {
            panic!(
                "could not check the splits: in a photo of {len} pixels, {problem}; see the \
                 check \"measures every pixel once\""
            );
        }
        let mut placed: Vec<(Option<usize>, usize)> = pieces
            .iter()
            .filter(|piece| piece.len > 0)
            .map(|piece| (piece.start, piece.len))
            .collect();
        placed.sort_unstable();
        let got: Vec<usize> = placed.iter().map(|&(_, len)| len).collect();
        let halves = if placed.iter().all(|(start, _)| start.is_some()) {
            let by_start: BTreeMap<usize, usize> = placed
                .iter()
                .filter_map(|&(start, len)| start.map(|start| (start, len)))
                .collect();
            let shortest = got.iter().copied().min().unwrap_or(0);
            split_in_halves(&by_start, 0, len, shortest, &mut HashMap::new())
        } else {
            // Copies cannot be placed in the photo: compare the lengths alone.
            let mut sorted = got.clone();
            sorted.sort_unstable();
            MIDDLES.iter().any(|&middle| {
                let mut want = halving(len, middle);
                want.sort_unstable();
                want == sorted
            })
        };
        if halves {
            continue;
        }
        let want = halving(len, MIDDLES[0]);
        let seen = format!(
            "a photo of {len} pixels was cut into {} (in the photo's order), which splitting \
             in halves cannot give: halves of halves, down to the cutoff, are {}",
            lengths(&got),
            lengths(&want)
        );
        let from_one_end = got.len() >= 2 && got[..got.len() - 1].iter().all(|&l| l == CUTOFF);
        if from_one_end {
            let photo = 12_000_000;
            let (peeled, halved) = depths(photo);
            panic!(
                "{seen}. The pieces were cut CUTOFF ({CUTOFF}) pixels at a time from one end: \
                 a split that takes CUTOFF pixels off and leaves the rest to split again nests \
                 one rayon::join inside the other for every CUTOFF pixels, {peeled} deep for a \
                 12-megapixel photo where halving needs {halved} levels. Split every piece \
                 longer than CUTOFF at its middle, and each half the same way"
            );
        }
        panic!(
            "{seen}. Split every piece longer than CUTOFF at its middle, into two halves, and \
             each half the same way"
        );
    }
}
