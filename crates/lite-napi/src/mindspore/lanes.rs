//! The owner of a MindSpore model or runner: a queue of jobs and the threads that run them.
//!
//! `MsModel` runs its jobs on one lane (the engine model is not re-entrant), `MsRunner` on as
//! many lanes as it has workers. The rules match the MegEngine executor (`executor.rs`):
//! - the queue alone decides whether the object is busy; `@lite/mindspore` asks it and keeps no
//!   state of its own;
//! - jobs run in submission order; a finished job settles its promise through a napi deferred
//!   (never waiting for JS) and the lane takes the next job at once;
//! - requests waiting for a lane wait here, not on libuv threads;
//! - nothing here holds a JS handle; the process `'exit'` event and a worker's teardown join
//!   the lanes and free the engine object (see [`AtExit`]);
//! - with [`Batching`] set, a lane that takes a request with [`Rows`] also takes the queued
//!   requests that can be stacked with it (and, while nothing else is queued, waits for more, at
//!   most until the first one's arrival plus the delay), then runs them as one call ([`LaneJob::run_stacked`]). The queue's
//!   front request is always taken first, so a request that cannot join runs alone and never
//!   starves.

use crate::error::NativeFailure;
use crate::megengine::executor::Shutdown;
use crate::mindspore::batch::Rows;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One unit of work. `run` executes it on a lane, then `settle` settles its promise once the
/// lane no longer counts it as running (so JS, woken by the promise, finds the queue idle);
/// `cancel` settles it without running (the owner was disposed or the environment is going away).
pub trait LaneJob: Send {
    /// Does the work (on a lane thread) and keeps the result.
    fn run(&mut self);
    /// Settles the job's promise with the result of `run`.
    fn settle(self: Box<Self>);
    /// Settles the job's promise with `failure` without running it.
    fn cancel(self: Box<Self>, failure: NativeFailure);
    /// The rows of a request that may be stacked with others (`None`: it always runs alone).
    fn rows(&self) -> Option<&Rows> {
        None
    }
    /// The caller's ticket, for [`Lanes::withdraw`].
    fn ticket(&self) -> Option<u32> {
        None
    }
    /// Runs this job and `others` (whose [`LaneJob::rows`] join this job's) as one call; each
    /// job keeps its own result. Only called with [`LaneJob::rows`] set on every job.
    fn run_stacked(&mut self, others: &mut [Box<dyn LaneJob>]) {
        debug_assert!(others.is_empty());
        self.run();
    }
    /// Keeps the result of a stacked run for [`LaneJob::settle`].
    fn put_result(
        &mut self,
        result: std::result::Result<Vec<mindspore::TensorData>, NativeFailure>,
    ) {
        let _ = result;
    }
}

/// Dynamic batching settings of a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batching {
    /// Most rows (sum of dim 0) one stacked run takes.
    pub max_batch: usize,
    /// Longest a request waits, from its arrival, for others to join it.
    pub max_delay: Duration,
}

/// What a batching queue has run so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Engine calls made for requests with rows.
    pub runs: u64,
    /// Requests those calls served.
    pub requests: u64,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Box<dyn LaneJob>>,
    /// Lanes inside a job.
    running: usize,
    /// Lane threads started (they live until the lanes close).
    threads: usize,
    /// Lane threads waiting for a job.
    idle: usize,
    /// No new jobs are taken; the threads exit once the queue is empty.
    closed: bool,
    /// The environment is going away: queued jobs are dropped, not run.
    aborted: bool,
    /// Set once the model is known to be batchable.
    batching: Option<Batching>,
    /// Lanes collecting a batch (they wait for more requests to join).
    collecting: usize,
    counts: BatchCounts,
}

type Ctl = crate::guarded::Ctl<State>;

/// A queue served by up to `width` threads.
pub struct Lanes {
    ctl: Arc<Ctl>,
    width: usize,
    name: &'static str,
    handles: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// How long a shutdown waits for running jobs before leaving their threads behind.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

impl Lanes {
    /// Lanes named `name` (the thread name), at most `width` (at least 1) running at once.
    pub fn new(name: &'static str, width: usize) -> Arc<Lanes> {
        Arc::new(Lanes {
            ctl: Arc::default(),
            width: width.max(1),
            name,
            handles: Mutex::new(Vec::new()),
        })
    }

    /// Whether a job is queued or running.
    pub fn busy(&self) -> bool {
        let s = self.ctl.state();
        s.running > 0 || !s.queue.is_empty()
    }

    /// Jobs waiting for a lane.
    pub fn queued(&self) -> usize {
        self.ctl.state().queue.len()
    }

    /// Whether [`Lanes::close`] was called.
    pub fn closed(&self) -> bool {
        self.ctl.state().closed
    }

    /// Turns dynamic batching on for the requests submitted from now on.
    pub fn set_batching(&self, batching: Batching) {
        self.ctl.state().batching = Some(batching);
    }

    /// The batching settings, when on.
    pub fn batching(&self) -> Option<Batching> {
        self.ctl.state().batching
    }

    /// Engine calls and requests served so far (requests with rows only).
    pub fn counts(&self) -> BatchCounts {
        self.ctl.state().counts
    }

    /// Takes the queued job holding `ticket` out of the queue and cancels it with `failure`.
    /// Returns whether it was still queued (a running job finishes).
    pub fn withdraw(&self, ticket: u32, failure: impl FnOnce() -> NativeFailure) -> bool {
        let job = {
            let mut s = self.ctl.state();
            let at = s.queue.iter().position(|j| j.ticket() == Some(ticket));
            at.and_then(|i| s.queue.remove(i))
        };
        match job {
            Some(j) => {
                j.cancel(failure());
                true
            }
            None => false,
        }
    }

    /// Queues a job. A closed queue cancels it with `closed_failure`; a lane that cannot be
    /// started cancels it with that reason.
    pub fn submit(
        self: &Arc<Self>,
        job: Box<dyn LaneJob>,
        closed_failure: impl FnOnce() -> NativeFailure,
    ) {
        let mut s = self.ctl.state();
        if s.closed {
            drop(s);
            job.cancel(closed_failure());
            return;
        }
        s.queue.push_back(job);
        let start = s.idle < s.queue.len() && s.threads < self.width;
        if start {
            s.threads += 1;
        }
        // A lane collecting a batch must see the new request; notify_one might wake another.
        let everyone = s.collecting > 0;
        drop(s);
        if everyone {
            self.ctl.wake.notify_all();
        } else {
            self.ctl.wake.notify_one();
        }
        if start {
            if let Err(e) = self.start_thread() {
                let jobs: Vec<_> = {
                    let mut s = self.ctl.state();
                    s.threads -= 1;
                    if s.threads == 0 {
                        s.queue.drain(..).collect()
                    } else {
                        Vec::new()
                    }
                };
                for j in jobs {
                    j.cancel(NativeFailure {
                        code: "LITE_ERROR".into(),
                        message: format!("could not start a thread for the job: {e}"),
                        engine_message: None,
                    });
                }
            }
        }
    }

    fn start_thread(self: &Arc<Self>) -> std::io::Result<()> {
        let ctl = self.ctl.clone();
        let handle = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || serve(&ctl))?;
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(handle);
        Ok(())
    }

    /// Takes no new jobs; with `cancel` the queued ones are cancelled with it, else they run.
    /// Running jobs finish; then the threads exit.
    pub fn close(&self, cancel: Option<NativeFailure>) {
        let dropped: Vec<_> = {
            let mut s = self.ctl.state();
            s.closed = true;
            match cancel {
                Some(_) => s.queue.drain(..).collect(),
                None => Vec::new(),
            }
        };
        self.ctl.wake.notify_all();
        if let Some(f) = cancel {
            for j in dropped {
                j.cancel(f.clone());
            }
        }
    }
}

impl Shutdown for Lanes {
    /// The environment is going away: queued jobs are cancelled, running ones are waited for
    /// (at most [`SHUTDOWN_WAIT`]) and their threads joined.
    fn shutdown(&self) {
        let dropped: Vec<_> = {
            let mut s = self.ctl.state();
            s.closed = true;
            s.aborted = true;
            s.queue.drain(..).collect()
        };
        self.ctl.wake.notify_all();
        for j in dropped {
            j.cancel(NativeFailure {
                code: "LITE_DISPOSED".into(),
                message: "the JavaScript environment is shutting down".into(),
                engine_message: None,
            });
        }
        let finished = {
            let mut s = self.ctl.state();
            let deadline = Instant::now() + SHUTDOWN_WAIT;
            while s.running > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                s = self
                    .ctl
                    .wake
                    .wait_timeout(s, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            s.running == 0
        };
        if finished {
            let handles: Vec<_> = self
                .handles
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(..)
                .collect();
            for h in handles {
                if h.thread().id() != std::thread::current().id() {
                    let _ = h.join();
                }
            }
        }
    }
}

/// A lane thread: runs jobs until the lanes close and the queue is empty.
fn serve(ctl: &Ctl) {
    loop {
        let (mut job, mut others, stacked) = {
            let mut s = ctl.state();
            let first = loop {
                // While another lane collects a batch, a request with rows is left for it.
                let leave = s.collecting > 0 && s.queue.front().is_some_and(|j| j.rows().is_some());
                if !s.aborted && !leave {
                    if let Some(j) = s.queue.pop_front() {
                        s.running += 1;
                        break j;
                    }
                }
                if s.closed && (s.queue.is_empty() || s.aborted) {
                    s.threads -= 1;
                    return;
                }
                s.idle += 1;
                s = ctl.wake.wait(s).unwrap_or_else(|p| p.into_inner());
                s.idle -= 1;
            };
            let (s, others, stacked) = collect(ctl, s, &*first);
            drop(s);
            (first, others, stacked)
        };
        if stacked {
            job.run_stacked(&mut others);
        } else {
            job.run();
        }
        ctl.state().running -= 1;
        // Wakes a shutdown waiting for running jobs (lanes waiting for work ignore it).
        ctl.wake.notify_all();
        job.settle();
        for o in others {
            o.settle();
        }
    }
}

/// The queued requests that join `first` (batching on and `first` has rows): taken in queue
/// order while their rows fit; then, while rows are missing and nothing else is queued, waits for
/// more until `first`'s arrival plus the delay. Returns whether `first` runs stacked (with the
/// others, maybe none).
fn collect<'a>(
    ctl: &'a Ctl,
    mut s: MutexGuard<'a, State>,
    first: &dyn LaneJob,
) -> (MutexGuard<'a, State>, Vec<Box<dyn LaneJob>>, bool) {
    let mut others: Vec<Box<dyn LaneJob>> = Vec::new();
    let (Some(batching), Some(rows)) = (s.batching, first.rows()) else {
        return (s, others, false);
    };
    let mut total = rows.count();
    let deadline = rows.arrived() + batching.max_delay;
    loop {
        let mut i = 0;
        while total < batching.max_batch && i < s.queue.len() {
            let fits = s.queue[i]
                .rows()
                .filter(|r| r.joins(rows) && total + r.count() <= batching.max_batch)
                .map(Rows::count);
            match fits.and_then(|n| s.queue.remove(i).map(|j| (n, j))) {
                Some((n, j)) => {
                    total += n;
                    others.push(j);
                }
                None => i += 1,
            }
        }
        let now = Instant::now();
        // What is still queued cannot join: run now and leave it to the next free lane rather
        // than hold it back for the delay.
        let blocked = !s.queue.is_empty();
        if total >= batching.max_batch || blocked || s.closed || s.aborted || now >= deadline {
            break;
        }
        s.collecting += 1;
        s = ctl
            .wake
            .wait_timeout(s, deadline - now)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        s.collecting -= 1;
    }
    s.counts.runs += 1;
    s.counts.requests += 1 + others.len() as u64;
    if !s.queue.is_empty() {
        // Requests left for this lane while it collected may go to an idle lane now.
        ctl.wake.notify_all();
    }
    (s, others, true)
}

/// What a MindSpore object does when its JS environment goes away (the process `'exit'` event,
/// a worker's teardown): its lanes finish the call they are in and are joined, then the engine
/// object is freed. `process.exit()` runs no finalizer, and an engine model left alive keeps its
/// own actor threads running while the exit handlers unload the engine's plugin: a SIGSEGV in
/// about 1 of 3 exits, even for a model only ever used synchronously.
pub struct AtExit {
    lanes: Arc<Lanes>,
    free: Box<dyn Fn() + Send + Sync>,
}

impl AtExit {
    /// Registers `free` (which frees the engine object) to run after `lanes` stop, at the exit of
    /// the calling JS thread's environment. The returned owner must live as long as the object.
    pub fn register(lanes: &Arc<Lanes>, free: impl Fn() + Send + Sync + 'static) -> Arc<AtExit> {
        let owner = Arc::new(AtExit {
            lanes: lanes.clone(),
            free: Box::new(free),
        });
        crate::megengine::executor::join_at_exit(owner.clone());
        owner
    }
}

impl Shutdown for AtExit {
    fn shutdown(&self) {
        self.lanes.shutdown();
        if !self.lanes.busy() {
            (self.free)();
        }
    }
}
