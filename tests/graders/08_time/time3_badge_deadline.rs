use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant as WallClock};

use asynclings_grading::prelude::*;
use tokio::time::{Instant, advance};

use crate::exercise::{Deadline, TimedOut};

/// How long (real time) a check waits for a wake-up that a timer thread of the learner's
/// could still deliver; tokio timers are decided in virtual time, at once.
const PATIENCE: Duration = Duration::from_millis(1500);

/// The way out of a Deadline that wakes itself.
const BUSY_FIX: &str = "a timeout built by checking the clock at every poll keeps a CPU core \
                        busy until the limit; let a timer wake the task once, when the limit \
                        passes";

/// Runs a check on a paused clock, with a watchdog above `PATIENCE`.
fn door<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    paused_clock()
        .limit(Duration::from_secs(3))
        .on_blocked(
            "a poll of Deadline blocked the thread (a thread sleep, a join or a block_on inside \
             poll?); poll must return at once",
        )
        .on_busy(
            "Deadline kept the runtime busy: it wakes its task again and again instead of \
             letting the operation or the timer wake it",
        )
        .allow_blocking(
            "the check itself waits in real time (up to PATIENCE) for a timer thread a learner \
             may use; every hand poll of Deadline is guarded on its own",
        )
        .run(make)
}

/// Polls a correct Deadline needs when awaited by a task: a first poll and the timer's
/// wake-up (a few more are fine); far fewer than a busy loop or a restarted timer make.
const POLL_CAP: usize = 50;

/// Awaits `inner`, giving up with `Err((polls, tokio time since start))` once it has been
/// polled `POLL_CAP` times without finishing.
struct PollCap<F> {
    inner: Pin<Box<F>>,
    polls: usize,
    started: Instant,
}

impl<F: Future> Future for PollCap<F> {
    type Output = Result<F::Output, (usize, Duration)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.polls += 1;
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(Ok(output)),
            Poll::Pending if self.polls >= POLL_CAP => {
                Poll::Ready(Err((self.polls, self.started.elapsed())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A badge reader: a leaf future the grader controls. It resolves to the badge once `tap`
/// is called, and counts its polls.
struct Reader {
    state: Arc<Mutex<ReaderState>>,
}

#[derive(Default)]
struct ReaderState {
    badge: Option<u32>,
    waker: Option<Waker>,
    polls: usize,
}

/// The grader's side of a [`Reader`].
#[derive(Clone)]
struct Badge {
    state: Arc<Mutex<ReaderState>>,
}

fn reader() -> (Reader, Badge) {
    let state = Arc::new(Mutex::new(ReaderState::default()));
    (
        Reader {
            state: Arc::clone(&state),
        },
        Badge { state },
    )
}

impl Future for Reader {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut state = self.state.lock().unwrap();
        state.polls += 1;
        match state.badge.take() {
            Some(badge) => Poll::Ready(badge),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Badge {
    fn tap(&self, badge: u32) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.badge = Some(badge);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn polls(&self) -> usize {
        self.state.lock().unwrap().polls
    }
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

/// When a Deadline was created, on both clocks.
struct Start {
    tokio: Instant,
    real: WallClock,
}

impl Start {
    fn now() -> Self {
        Start {
            tokio: Instant::now(),
            real: WallClock::now(),
        }
    }
}

/// Fails if the latest poll woke its own task while the limit had not passed on either clock
/// (on the real clock, a timer thread may have fired during the poll: that is no busy loop).
fn check_not_busy<F: Future>(hand: &HandPoll<F>, start: &Start, limit: Duration) {
    if start.real.elapsed() < limit && start.tokio.elapsed() < limit {
        hand.check_no_self_wake(BUSY_FIX)
            .unwrap_or_else(|verdict| panic!("{verdict}"));
    }
}

/// The way out of a restarted limit, in every verdict about one.
const RESTART_FIX: &str = "start the limit once, and let later polls only poll that same \
                           timer (never make it anew or reset it)";

/// How many wake-ups the wakers of polls before the latest waker change have had.
fn earlier_wakes<F: Future>(hand: &HandPoll<F>) -> usize {
    hand.earlier_wakers()
        .iter()
        .map(CountingWaker::wake_count)
        .sum()
}

/// After the limit has passed: waits until `hand`'s task (the waker of its latest poll) is
/// woken, first in tokio time (in 10 ms steps, up to five times the limit), then in real time
/// (a timer thread). Fails with what went wrong when it is woken late or never, or when only
/// the waker of an earlier poll was woken (stale); `start` is when the limit started.
async fn expect_woken_for_the_limit<F: Future>(
    hand: &HandPoll<F>,
    start: &Start,
    limit: Duration,
    last_poll_at: Duration,
) {
    check_not_busy(hand, start, limit);
    let earlier_before = earlier_wakes(hand);
    let origin = start.tokio;
    let step = Duration::from_millis(10);
    let give_up_at = (limit * 5).max(step);
    while !hand.waker().is_woken() && origin.elapsed() < give_up_at {
        advance(step).await;
    }
    let woken_at = origin.elapsed();
    if hand.waker().is_woken() {
        assert!(
            woken_at <= limit + step,
            "the {}-ms limit restarted: the task was woken at {} ms of tokio time, {} ms late; \
             the poll at {} ms started the wait over (its timer was made anew or reset then); \
             {RESTART_FIX}",
            ms(limit),
            ms(woken_at),
            ms(woken_at - limit),
            ms(last_poll_at)
        );
        return;
    }
    // Not on tokio's clock: perhaps a timer thread, which runs in real time. The waker of the
    // latest poll is the only one that counts, so wait for it the whole time, even when an
    // earlier one is woken meanwhile.
    if wait_until(PATIENCE, || hand.waker().is_woken()) {
        return;
    }
    if earlier_wakes(hand) > earlier_before {
        panic!(
            "woke the waker from an earlier poll (stale), not the one from the latest poll: \
             polled by one task and then by another (as when a select! gives it up and a \
             spawned task awaits it), Deadline woke the first task when the {}-ms limit passed \
             and left the second asleep (not woken at {} ms of tokio time, nor {:.1} s of real \
             time later); every poll that returns Pending must leave its own waker with the \
             timer, in place of the earlier one",
            ms(limit),
            ms(woken_at),
            PATIENCE.as_secs_f64()
        );
    }
    panic!(
        "the {}-ms limit passed, but nothing woke the task: still not woken at {} ms of tokio \
         time, nor {:.1} s of real time later, so a task awaiting Deadline would sleep forever; \
         keep a timer in the future that holds the task's waker until the limit passes (a \
         timer made inside poll and dropped at its end wakes nobody)",
        ms(limit),
        ms(woken_at),
        PATIENCE.as_secs_f64()
    );
}

/// A waker that notes whether it was woken on the thread that made it (in a check: the
/// runtime's, where tokio's paused clock fires its timers) or on another (a timer thread).
struct WokenWhere {
    home: ThreadId,
    here: AtomicBool,
    elsewhere: AtomicBool,
}

impl WokenWhere {
    fn new() -> Arc<Self> {
        Arc::new(WokenWhere {
            home: thread::current().id(),
            here: AtomicBool::new(false),
            elsewhere: AtomicBool::new(false),
        })
    }
}

impl Wake for WokenWhere {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let flag = if thread::current().id() == self.home {
            &self.here
        } else {
            &self.elsewhere
        };
        flag.store(true, Ordering::SeqCst);
    }
}

/// After the wake-up for the limit: the next poll must report the timeout. When it returns
/// Pending instead, tells a limit started over at that poll (tokio's clock, moved on by
/// `limit`, wakes the poll's waker again) from a poll that never learns the limit is over.
async fn expect_timed_out<F: Future<Output = u32>>(
    hand: &mut HandPoll<Deadline<F>>,
    limit: Duration,
) {
    // A waker of its own for this poll (an executor may hand any poll a new one): a timer
    // thread of an earlier poll cannot wake it, and a wake-up on this thread while tokio's
    // clock moves on can only come from a tokio timer (or task) armed by this poll.
    let woken = WokenWhere::new();
    let waker = Waker::from(Arc::clone(&woken));
    let polled_at = Instant::now();
    match hand.future().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Err(TimedOut)) => return,
        Poll::Ready(Ok(badge)) => panic!(
            "returned badge {badge} although nobody tapped: return the operation's output, \
             not something else"
        ),
        Poll::Pending => {}
    }
    let step = Duration::from_millis(10);
    while !woken.here.load(Ordering::SeqCst) && polled_at.elapsed() <= limit + step {
        advance(step).await;
    }
    if woken.here.load(Ordering::SeqCst) {
        panic!(
            "the {}-ms limit restarted: woken once it had passed, the next poll returned Pending \
             and asked tokio's timer to wake it again {} ms later (its timer was made anew or \
             reset then), so the wait never ends; {RESTART_FIX}",
            ms(limit),
            ms(polled_at.elapsed())
        );
    }
    panic!(
        "woken once the {}-ms limit had passed, but the next poll returned Pending again: \
         nothing records that the limit has passed (a flag that is never set?), so the wait \
         never ends; let the poll find out from the timer that the limit is over",
        ms(limit)
    );
}

#[test]
fn the_first_poll_neither_blocks_nor_wakes_itself() {
    const LIMIT: Duration = Duration::from_secs(1);
    door(|| async {
        let (reader, _badge) = reader();
        let start = Start::now();
        let mut hand = HandPoll::new(Deadline::new(reader, LIMIT));
        let first = hand.poll();
        let took = hand.last_poll().took;
        if took >= BLOCKING_POLL {
            panic!(
                "{}",
                blocking_poll_verdict(
                    took,
                    "a poll must return at once: let a timer wake the task when the limit \
                     passes, and return Pending meanwhile"
                )
            );
        }
        assert!(
            first.is_pending(),
            "the first poll resolved ({:?}) though nobody had tapped a badge and none of the \
             1 s limit had passed: return Pending until one of the two happens",
            first.map(|r| r.map(|_| "a badge"))
        );
        check_not_busy(&hand, &start, LIMIT);
    });
}

#[test]
fn returns_the_badge_as_soon_as_it_taps() {
    const LIMIT: Duration = Duration::from_secs(10);
    door(|| async {
        let (reader, badge) = reader();
        let mut hand = HandPoll::new(Deadline::new(reader, LIMIT));
        assert!(
            hand.poll().is_pending(),
            "the first poll resolved though nobody had tapped a badge and none of the 10 s \
             limit had passed"
        );
        badge.tap(42);
        if !hand.waker().is_woken() {
            panic!(
                "{}",
                if badge.polls() == 0 {
                    "the badge tapped, but nothing woke the task: Deadline never polled the \
                     badge reader (Deadline polled 1 time, the reader 0 times), so its tap can \
                     never get through; a future makes progress only when polled, and only a \
                     poll hands it the task's waker: poll the operation inside Deadline's poll"
                } else {
                    "the badge tapped, but nothing woke the task: the reader was polled with a \
                     waker other than this task's; poll the operation with the cx you were given"
                }
            );
        }
        match hand.poll() {
            Poll::Ready(Ok(42)) => {}
            Poll::Ready(Ok(other)) => panic!("returned badge {other}, but badge 42 tapped"),
            Poll::Ready(Err(TimedOut)) => panic!(
                "reported a timeout although badge 42 tapped after 0 ms of its 10 s limit: \
                 report a timeout only once the limit has passed"
            ),
            Poll::Pending => panic!(
                "badge 42 tapped and the task was woken, but the next poll returned Pending: \
                 the reader was polled {} time(s) in 2 polls of Deadline, so its answer stayed \
                 inside; poll the operation on every poll, not only the first",
                badge.polls()
            ),
        }
    });
}

/// How many times a check starts over because the machine stalled past a limit (see
/// [`pending_before_the_limit`]); three stalls in a row would be a machine that barely runs.
const STALL_RETRIES: usize = 3;

/// Checks a poll made before the limit has passed on tokio's clock: it must return Pending.
/// Returns `false` when it timed out because the limit had passed in real time (a timer thread,
/// on a machine that stalled between two lines of the check): that is right, and the check
/// starts over. `which` names the poll in the verdict ("first", "second").
fn pending_before_the_limit(
    result: Poll<Result<u32, TimedOut>>,
    start: &Start,
    limit: Duration,
    which: &str,
) -> bool {
    match result {
        Poll::Pending => true,
        Poll::Ready(Err(TimedOut)) if start.real.elapsed() >= limit => false,
        Poll::Ready(Err(TimedOut)) => panic!(
            "timed out at the {which} poll, after {} ms of tokio time, before its {} ms limit \
             had passed",
            ms(start.tokio.elapsed()),
            ms(limit)
        ),
        Poll::Ready(Ok(badge)) => panic!(
            "returned badge {badge} at the {which} poll although nobody tapped: return the \
             operation's output, not something else"
        ),
    }
}

/// Panics after [`STALL_RETRIES`] attempts that each found the limit over in real time.
fn machine_stalled(limit: Duration) -> ! {
    panic!(
        "{STALL_RETRIES} attempts in a row found the {} ms limit over in real time before the \
         check could poll twice: the machine is too loaded to grade this check; run it again",
        ms(limit)
    )
}

#[test]
fn times_out_once_the_limit_has_passed_and_not_before() {
    const LIMIT: Duration = Duration::from_millis(300);
    door(|| async {
        for _ in 0..STALL_RETRIES {
            let start = Start::now();
            let (reader, _badge) = reader();
            let mut hand = HandPoll::new(Deadline::new(reader, LIMIT));
            if !pending_before_the_limit(hand.poll(), &start, LIMIT, "first") {
                continue;
            }
            // Halfway: a poll for another reason (the task can be woken by anything).
            advance(LIMIT / 2).await;
            if !pending_before_the_limit(hand.poll(), &start, LIMIT, "second") {
                continue;
            }
            let last_poll_at = start.tokio.elapsed();
            expect_woken_for_the_limit(&hand, &start, LIMIT, last_poll_at).await;
            expect_timed_out(&mut hand, LIMIT).await;
            return;
        }
        machine_stalled(LIMIT)
    });
}

#[test]
fn polled_by_another_task_it_wakes_that_task_at_the_limit() {
    const LIMIT: Duration = Duration::from_millis(300);
    door(|| async {
        for _ in 0..STALL_RETRIES {
            let start = Start::now();
            let (reader, _badge) = reader();
            let mut hand = HandPoll::new(Deadline::new(reader, LIMIT));
            if !pending_before_the_limit(hand.poll(), &start, LIMIT, "first") {
                continue;
            }
            // The future moves: a select! gave it up, and a spawned task awaits it now, with
            // a waker of its own. Only that task is waiting for the limit.
            if !pending_before_the_limit(hand.poll_with_new_waker(), &start, LIMIT, "second") {
                continue;
            }
            expect_woken_for_the_limit(&hand, &start, LIMIT, Duration::ZERO).await;
            expect_timed_out(&mut hand, LIMIT).await;
            return;
        }
        machine_stalled(LIMIT)
    });
}

#[test]
fn a_badge_that_is_there_wins_over_the_limit() {
    const LIMIT: Duration = Duration::from_millis(300);
    door(|| async {
        let start = Start::now();
        let (reader, badge) = reader();
        let mut hand = HandPoll::new(Deadline::new(reader, LIMIT));
        assert!(
            hand.poll().is_pending(),
            "the first poll resolved though nobody had tapped a badge and none of the 300 ms \
             limit had passed"
        );
        expect_woken_for_the_limit(&hand, &start, LIMIT, Duration::ZERO).await;
        // The limit has passed, and the badge taps before the task gets its next poll.
        badge.tap(7);
        match hand.poll() {
            Poll::Ready(Ok(7)) => {}
            Poll::Ready(Ok(other)) => panic!("returned badge {other}, but badge 7 tapped"),
            Poll::Ready(Err(TimedOut)) => panic!(
                "badge 7 had tapped by the time of the poll, but Deadline reported a timeout \
                 without asking the reader for it (the reader was polled {} time(s) in 2 polls \
                 of Deadline): it looked at the limit first and threw the tap away; ask the \
                 operation first, at every poll, so an answer that is there always wins",
                badge.polls()
            ),
            Poll::Pending => panic!(
                "badge 7 had tapped and the limit had passed, but the poll returned Pending: \
                 poll the operation on every poll, and let the poll find out from the timer \
                 that the limit is over"
            ),
        }
    });
}

#[test]
fn a_zero_limit_lets_a_ready_operation_win_and_times_out_at_once_otherwise() {
    door(|| async {
        let mut ready = HandPoll::new(Deadline::new(async { 7 }, Duration::ZERO));
        match ready.poll() {
            Poll::Ready(Ok(7)) => {}
            Poll::Ready(Ok(other)) => panic!("returned badge {other}, but badge 7 was ready"),
            Poll::Ready(Err(TimedOut)) => panic!(
                "with a zero limit, an operation that was ready at its first poll lost to the \
                 limit: ask the operation first, so an answer that is there always wins"
            ),
            Poll::Pending => panic!(
                "with a zero limit, an operation that was ready at its first poll was not \
                 returned: poll the operation at every poll, the first included"
            ),
        }

        let start = Start::now();
        let (reader, _badge) = reader();
        let mut hand = HandPoll::new(Deadline::new(reader, Duration::ZERO));
        match hand.poll() {
            Poll::Pending => {
                expect_woken_for_the_limit(&hand, &start, Duration::ZERO, Duration::ZERO).await;
                expect_timed_out(&mut hand, Duration::ZERO).await;
            }
            // A limit of zero has passed by the first poll already.
            Poll::Ready(Err(TimedOut)) => {}
            Poll::Ready(Ok(badge)) => panic!("returned badge {badge} although nobody tapped"),
        }
    });
}

#[test]
fn awaited_by_a_task_it_resolves_when_the_first_of_the_two_happens() {
    // A badge that taps after 100 ms of tokio time, well within the 1 s limit.
    let (result, took) = paused_clock()
        .limit(Duration::from_secs(2))
        .on_blocked("a poll of Deadline blocked the thread; poll must return at once")
        .on_busy(
            "Deadline kept the runtime busy: it wakes its task again and again instead of \
             letting the operation or the timer wake it",
        )
        .would_hang_after(
            Duration::from_secs(60),
            "the badge tapped at 100 ms of a 1 s limit, but Deadline never returned it: poll \
             the operation with the task's cx on every poll, and let only the operation or a \
             timer wake the task",
        )
        .run_timed(|| async {
            let tap = async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                42
            };
            Deadline::new(tap, Duration::from_secs(1)).await
        });
    assert!(
        result == Ok(42) && took == Duration::from_millis(100),
        "awaited by a task, Deadline(a badge tapping at 100 ms, a 1 s limit) returned {result:?} \
         after {} ms of tokio time, where Ok(42) at 100 ms was expected",
        ms(took)
    );

    // A badge that never taps: the limit ends the wait, on tokio's clock or a thread's.
    const LIMIT: Duration = Duration::from_millis(300);
    let began = WallClock::now();
    let (result, took) = paused_clock()
        .limit(Duration::from_secs(2))
        .on_block(
            "awaiting Deadline with a badge that never taps never finished, 2 s after a 300 ms \
             limit: nothing woke the task when the limit passed, or nothing told the poll it \
             had; keep a timer that holds the task's waker, and let the poll ask it",
        )
        .run_timed(|| async {
            let (reader, _badge) = reader();
            PollCap {
                inner: Box::pin(Deadline::new(reader, LIMIT)),
                polls: 0,
                started: Instant::now(),
            }
            .await
        });
    let real = began.elapsed();
    let result = result.unwrap_or_else(|(polls, at)| {
        if at.is_zero() {
            panic!(
                "awaited by a task with a badge that never taps, Deadline was polled {polls} \
                 times at 0 ms of tokio time without finishing: it wakes its own task at every \
                 poll, a busy loop; {BUSY_FIX}"
            )
        } else {
            panic!(
                "awaited by a task with a badge that never taps, Deadline was woken {polls} \
                 times over {} ms of tokio time and never timed out, though its limit is 300 ms: \
                 every wake-up pushed the limit further away (a timer made anew or reset at \
                 every poll); {RESTART_FIX}",
                ms(at)
            )
        }
    });
    assert_eq!(
        result,
        Err(TimedOut),
        "a badge that never taps should end in Err(TimedOut)"
    );
    assert!(
        took == LIMIT || (took < LIMIT && real >= LIMIT),
        "awaited by a task, Deadline timed out after {} ms of tokio time ({} ms of real time), \
         where its limit is 300 ms",
        ms(took),
        ms(real)
    );
}
