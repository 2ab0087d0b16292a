//! The one owner of a MegEngine network: a queue of jobs and the thread that runs them.
//!
//! Every `NativeNetwork` (a `LiteNetwork`, each pool member) owns one [`Executor`]. It alone
//! decides whether the network is busy; `@lite/core` asks it ([`Executor::busy`]) and keeps no
//! state of its own. The rules:
//! - Jobs (load, forward, predict) run in submission order on the executor's own thread, one at
//!   a time. A finished job resolves its promise through a napi deferred (never waiting for JS)
//!   and the thread takes the next job at once.
//! - JS callbacks never run on an engine thread. A job that has a start or finish callback
//!   hands the network to the JS thread for a *turn* (before the engine part, after it): the
//!   executor then runs nothing until JS gives the network back (`resume`, `end_turn`). During a
//!   turn the network's IO tensors are usable; calls on the network itself are `LITE_BUSY`.
//! - Synchronous calls from JS run on the JS thread, only when nothing is queued or running
//!   (otherwise `LITE_BUSY`); the JS thread never blocks on the executor's locks for longer than
//!   a queue operation.
//! - Nothing here holds a JS function: a network with callbacks is collected like any other.

pub use crate::error::NativeFailure;
use crate::error::{Code, IntoJs, Result};
use crate::external::External;
use crate::megengine::tensor::NativeTensor;
use megengine::{LiteError, Network};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

/// Names and declared input layouts of the loaded model (read once per load).
#[napi(object)]
pub struct NativeModelInfo {
    /// Input names, in model order.
    pub inputs: Vec<String>,
    /// Output names, in model order.
    pub outputs: Vec<String>,
    /// The declared layout of each input (same order as `inputs`).
    pub input_layouts: Vec<crate::megengine::tensor::NativeLayout>,
}

/// How a job (or one stage of it) ended.
#[napi(object, object_from_js = false)]
pub struct JobOutcome {
    /// Set when the job failed (nothing else is then set).
    pub failure: Option<NativeFailure>,
    /// True when JS now holds the network for a turn (run the callback, then call `resume()`
    /// for a start turn or `endTurn()` for a finish turn).
    pub turn: bool,
    /// After a load: the model's names and declared layouts.
    pub info: Option<NativeModelInfo>,
    /// After a predict without a finish turn: a host copy of every output, in output order.
    pub outputs: Option<Vec<NativeTensor>>,
}

impl JobOutcome {
    fn failed(e: impl Into<NativeFailure>) -> JobOutcome {
        JobOutcome {
            failure: Some(e.into()),
            turn: false,
            info: None,
            outputs: None,
        }
    }

    fn ok() -> JobOutcome {
        JobOutcome {
            failure: None,
            turn: false,
            info: None,
            outputs: None,
        }
    }
}

/// A promise settled from any thread (through the environment's settlement channel, which
/// keeps the event loop alive while a promise is pending).
pub(crate) type Deferred = crate::settle::Deferred<JobOutcome>;

/// Creates a deferred and its promise on the JS thread.
pub(crate) fn deferred(env: &Env) -> Result<(Deferred, Object<'_>)> {
    Deferred::new(env).map_err(crate::error::from_napi)
}

fn settle(d: Deferred, outcome: JobOutcome) {
    d.resolve(Box::new(move |_env| Ok(outcome)));
}

/// One input of a predict: a copy of the caller's data, taken on the JS thread during the call.
/// No JS handle ever reaches the executor's thread.
pub struct Feed {
    pub name: String,
    pub layout: megengine::Layout,
    pub bytes: Vec<u8>,
    /// The input's declared layout, to restore after the run when the feed changed its shape.
    pub restore: Option<megengine::Layout>,
}

/// What a job does with the network.
pub enum Work {
    LoadPath(std::path::PathBuf),
    LoadBytes(Vec<u8>),
    /// A model the JS thread already decrypted: loaded as a plain one (the configured
    /// decryption name does not apply to it).
    LoadDecrypted(Vec<u8>),
    Forward,
    Predict(Vec<Feed>),
}

struct Job {
    work: Work,
    start_turn: bool,
    finish_turn: bool,
    done: Deferred,
}

/// A job waiting for its start turn to end.
struct Parked {
    work: Work,
    finish_turn: bool,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// The executor thread is inside a job's engine part.
    working: bool,
    /// A sync `forward()` from JS started a run that `wait()` has not ended yet.
    sync_run: bool,
    /// An async-mode `forward()` is in flight; its promise settles from the engine's callback.
    async_run: Option<Option<Deferred>>,
    /// JS holds the network for a job's callback turn.
    turn: bool,
    parked: Option<Parked>,
    thread_started: bool,
    closed: bool,
    /// `dispose()` was called: the network is dropped as soon as nothing holds it.
    release: bool,
    /// The environment is going away: run nothing more.
    aborted: bool,
    /// The pool whose shared queue this network serves when its own queue is empty.
    pool: Option<Arc<PoolQueue>>,
}

impl State {
    fn busy(&self) -> bool {
        self.working
            || self.sync_run
            || self.async_run.is_some()
            || self.turn
            || self.parked.is_some()
            || !self.queue.is_empty()
    }
}

/// The executor's state and its wake-up signal, apart from the network so that the engine's
/// completion callback can reach them without holding the network.
type Ctl = crate::guarded::Ctl<State>;

impl Ctl {
    /// The engine's async completion callback (any thread; never waits for JS).
    fn async_finished(&self) {
        let done = self.state().async_run.take().flatten();
        self.wake.notify_all();
        if let Some(d) = done {
            settle(d, JobOutcome::ok());
        }
    }
}

/// The owner of one network.
pub struct Executor {
    net: Mutex<Option<Network>>,
    ctl: Arc<Ctl>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The network's native memory, as reported to V8.
    pub(crate) external: External,
}

/// How long a shutdown waits for a network's running job before leaving its thread behind.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) fn busy_error() -> Error<Code> {
    Error::new(
        Code("LITE_BUSY"),
        "the network is busy: an asynchronous call (predict, forwardAsync, loadAsync), a run or a callback holds it; await it first".to_string(),
    )
}

fn disposed_failure() -> NativeFailure {
    NativeFailure {
        code: "LITE_DISPOSED".into(),
        message: "the LiteNetwork was disposed".into(),
        engine_message: None,
    }
}

impl Executor {
    pub fn new(net: Network) -> Arc<Executor> {
        Arc::new(Executor {
            net: Mutex::new(Some(net)),
            ctl: Arc::new(Ctl::default()),
            thread: Mutex::new(None),
            external: External::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.ctl.state()
    }

    fn notify(&self) {
        self.ctl.wake.notify_all();
    }

    /// Whether anything holds the network: a queued or running job, a sync run, a turn.
    pub fn busy(&self) -> bool {
        self.state().busy()
    }

    /// Whether the network's IO tensors must refuse calls now (busy, except during a turn,
    /// which lends them to the callback).
    pub fn tensors_busy(&self) -> bool {
        let s = self.state();
        s.busy() && !s.turn
    }

    /// Runs a synchronous call from JS on the network: only when nothing holds it.
    pub fn with_net<T>(&self, f: impl FnOnce(&Network) -> Result<T>) -> Result<T> {
        if self.busy() {
            return Err(busy_error());
        }
        self.with_net_unchecked(f)
    }

    /// The network for a call that the current state allows (a turn, a sync run's `wait`).
    fn with_net_unchecked<T>(&self, f: impl FnOnce(&Network) -> Result<T>) -> Result<T> {
        let guard = match self.net.try_lock() {
            Ok(g) => g,
            Err(TryLockError::WouldBlock) => return Err(busy_error()),
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        match guard.as_ref() {
            Some(n) => f(n),
            None => Err(crate::error::disposed("LiteNetwork")),
        }
    }

    /// A call made inside a turn (the callback's tensors, a predict's outputs).
    pub fn in_turn<T>(&self, f: impl FnOnce(&Network) -> Result<T>) -> Result<T> {
        if !self.state().turn {
            return Err(crate::error::invalid(
                "no callback turn is in progress on this network",
            ));
        }
        self.with_net_unchecked(f)
    }

    /// JS takes a turn outside a job (the callbacks of a sync forward/wait).
    pub fn begin_turn(&self) -> Result<()> {
        let mut s = self.state();
        if s.busy() {
            return Err(busy_error());
        }
        s.turn = true;
        Ok(())
    }

    /// JS gives the network back after a turn; the next job may run.
    pub fn end_turn(&self) {
        let mut s = self.state();
        if s.turn {
            s.turn = false;
            drop(s);
            self.notify();
            self.release_if_idle();
        }
    }

    /// Continues the parked job after its start turn; the returned promise settles when the
    /// job's engine part is done.
    pub fn resume<'env>(self: &Arc<Self>, env: &'env Env) -> Result<Object<'env>> {
        let (done, promise) = deferred(env)?;
        let mut s = self.state();
        let Some(p) = s.parked.take() else {
            drop(s);
            settle(
                done,
                JobOutcome::failed(NativeFailure {
                    code: "LITE_INVALID_ARGUMENT".into(),
                    message: "no job is waiting for its start callback".into(),
                    engine_message: None,
                }),
            );
            return Ok(promise);
        };
        s.turn = false;
        s.queue.push_front(Job {
            work: p.work,
            start_turn: false,
            finish_turn: p.finish_turn,
            done,
        });
        drop(s);
        self.notify();
        Ok(promise)
    }

    /// Queues a job; its promise settles when it is done (or at its start turn).
    pub fn submit<'env>(
        self: &Arc<Self>,
        env: &'env Env,
        work: Work,
        start_turn: bool,
        finish_turn: bool,
    ) -> Result<Object<'env>> {
        let (done, promise) = deferred(env)?;
        let mut s = self.state();
        if s.closed {
            drop(s);
            settle(done, JobOutcome::failed(disposed_failure()));
            return Ok(promise);
        }
        if s.sync_run {
            // Only the caller's own wait() ends a sync run: queueing behind it could wait forever.
            drop(s);
            settle(
                done,
                JobOutcome::failed(NativeFailure {
                    code: "LITE_BUSY".into(),
                    message: "the network is running a forward() started synchronously: call wait() first".into(),
                    engine_message: None,
                }),
            );
            return Ok(promise);
        }
        s.queue.push_back(Job {
            work,
            start_turn,
            finish_turn,
            done,
        });
        drop(s);
        if let Err(e) = self.ensure_thread() {
            let jobs: Vec<Job> = self.state().queue.drain(..).collect();
            for j in jobs {
                settle(j.done, JobOutcome::failed(e.clone()));
            }
        }
        Ok(promise)
    }

    /// Starts the executor's thread unless it runs, else wakes it.
    fn ensure_thread(self: &Arc<Self>) -> std::result::Result<(), LiteError> {
        {
            let mut s = self.state();
            if s.thread_started {
                drop(s);
                self.notify();
                return Ok(());
            }
            s.thread_started = true;
        }
        let me = self.clone();
        match std::thread::Builder::new()
            .name("lite-network".into())
            .spawn(move || me.run())
        {
            Ok(handle) => {
                *self.thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
                join_at_exit(self.clone());
                Ok(())
            }
            Err(e) => {
                self.state().thread_started = false;
                Err(LiteError::new(
                    megengine::ErrorCode::LiteError,
                    format!("could not start the network's thread: {e}"),
                ))
            }
        }
    }

    /// A sync `forward()` from JS (sync mode): the run holds the network until `wait()`.
    pub fn sync_forward(&self, f: impl FnOnce(&Network) -> Result<()>) -> Result<()> {
        {
            let mut s = self.state();
            if s.busy() {
                return Err(busy_error());
            }
            s.sync_run = true;
        }
        let r = self.with_net_unchecked(f);
        if r.is_err() {
            self.end_sync_run();
        }
        r
    }

    fn end_sync_run(&self) {
        let mut s = self.state();
        if s.sync_run {
            s.sync_run = false;
            drop(s);
            self.notify();
            self.release_if_idle();
        }
    }

    /// `wait()` on the JS thread: allowed when idle or while a sync or async-mode run from JS
    /// is in flight. Ends a sync run; returns whether it did.
    pub fn wait_run(&self, f: impl FnOnce(&Network) -> Result<()>) -> Result<bool> {
        let (allowed, sync_run) = {
            let s = self.state();
            let allowed = !s.busy()
                || ((s.sync_run || s.async_run.is_some())
                    && !s.working
                    && !s.turn
                    && s.parked.is_none());
            (allowed, s.sync_run)
        };
        if !allowed {
            return Err(busy_error());
        }
        let r = self.with_net_unchecked(f);
        self.end_sync_run();
        // An async-mode run that ended while dispose() waited for it.
        self.release_if_idle();
        r.map(|()| sync_run)
    }

    /// Drops the parked job after its start callback failed, and ends the turn.
    pub fn abandon(&self) {
        let mut s = self.state();
        if s.parked.take().is_some() {
            s.turn = false;
            drop(s);
            self.notify();
            self.release_if_idle();
        }
    }

    /// An async-mode `forward()` from JS; the promise settles from the engine's completion
    /// callback (see [`Executor::async_completion`]).
    pub fn async_forward<'env>(
        &self,
        env: &'env Env,
        f: impl FnOnce(&Network) -> Result<()>,
    ) -> Result<Object<'env>> {
        let (done, promise) = deferred(env)?;
        {
            let mut s = self.state();
            if s.busy() {
                return Err(busy_error());
            }
            s.async_run = Some(Some(done));
        }
        let guard = AsyncRunGuard(self, true);
        self.with_net_unchecked(f)?;
        guard.started();
        Ok(promise)
    }

    /// The callback to register as the engine's async completion callback: it reaches only
    /// the executor's state (never the network, never JS), so it neither keeps the network
    /// alive nor waits for anything.
    pub fn async_completion(&self) -> impl FnMut() + Send + 'static {
        let ctl = self.ctl.clone();
        move || ctl.async_finished()
    }

    /// `dispose()`: no new job is taken; the calls already made (queued or running jobs, a run
    /// or callback turn JS holds) finish, then the network is dropped, at once when idle.
    pub fn dispose(&self) {
        let run = {
            let mut s = self.state();
            s.closed = true;
            s.release = true;
            (s.sync_run || s.async_run.is_some()) && !s.working && !s.turn && s.parked.is_none()
        };
        self.notify();
        if run {
            // A forward() the caller started synchronously and has not waited for: wait for it
            // here (on the JS thread, as wait() would), since no wait() can follow a dispose.
            let _ = self.with_net_unchecked(|n| n.wait().js());
            let done = self.state().async_run.take().flatten();
            if let Some(d) = done {
                settle(d, JobOutcome::ok());
            }
            self.end_sync_run();
        }
        self.release_if_idle();
    }

    /// Drops the network once `dispose()` was called and nothing holds it any more.
    fn release_if_idle(&self) {
        {
            let s = self.state();
            if !s.release || s.busy() {
                return;
            }
        }
        // Idle: no job runs, so the lock is free (a JS call in progress is on this thread).
        let net = match self.net.try_lock() {
            Ok(mut g) => g.take(),
            Err(TryLockError::WouldBlock) => return,
            Err(TryLockError::Poisoned(p)) => p.into_inner().take(),
        };
        drop(net);
    }

    /// The JS object went away: the thread finishes what is queued, then exits.
    pub fn close(&self) {
        self.state().closed = true;
        self.notify();
    }

    /// The JS environment is being torn down (`process.exit`, a worker ending): the thread
    /// finishes the job it is in, runs nothing more, and is joined here, so no engine call
    /// is left running while the process unloads the engine.
    ///
    /// The wait is bounded: no job waits for JS (a JS decryptor runs on the JS thread before its
    /// load is queued), but an engine call that does not return in [`SHUTDOWN_WAIT`] leaves the
    /// thread behind rather than hanging the exit.
    pub fn shutdown(&self) {
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        let finished = {
            let mut s = self.state();
            s.closed = true;
            s.aborted = true;
            self.notify();
            let deadline = std::time::Instant::now() + SHUTDOWN_WAIT;
            while s.working {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
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
            !s.working
        };
        if let Some(h) = handle {
            if finished && h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }

    /// The executor thread: takes the next job as soon as the network is free.
    fn run(self: Arc<Self>) {
        // Pool members (the serving path: one busy thread per core) run below the JS thread,
        // from their first pool request on; a lone network keeps its priority (measured: its
        // async calls wait ~10 µs longer when its thread is niced).
        let mut yielding = false;
        loop {
            let taken = {
                let mut s = self.state();
                if !yielding && s.pool.is_some() {
                    crate::thread_priority::below_js_thread();
                    yielding = true;
                }
                // When a pool batch waits for more rows: the latest time to wake and take it.
                let mut until: Option<std::time::Instant> = None;
                loop {
                    let free =
                        !s.turn && !s.sync_run && s.async_run.is_none() && s.parked.is_none();
                    if free {
                        if let Some(j) = s.queue.pop_front() {
                            if j.start_turn {
                                s.turn = true;
                                s.parked = Some(Parked {
                                    work: j.work,
                                    finish_turn: j.finish_turn,
                                });
                                drop(s);
                                settle(
                                    j.done,
                                    JobOutcome {
                                        turn: true,
                                        ..JobOutcome::ok()
                                    },
                                );
                                s = self.state();
                                continue;
                            }
                            s.working = true;
                            break Taken::Job(j);
                        }
                        // A pool member takes the pool's next request (or batch of requests)
                        // as soon as it is free; a batch short of rows may wait for more, on
                        // this thread, until the deadline its first request set.
                        match s.pool.clone().map(|p| p.take(std::time::Instant::now())) {
                            Some(Take::Single(j)) => {
                                s.working = true;
                                break Taken::Job(j);
                            }
                            Some(Take::Batch(parts)) => {
                                s.working = true;
                                break Taken::Batch(parts);
                            }
                            Some(Take::WaitUntil(at)) => until = Some(at),
                            Some(Take::Nothing) | None => {}
                        }
                    }
                    if s.closed && s.queue.is_empty() && s.parked.is_none() {
                        return;
                    }
                    s = match until.take() {
                        Some(at) => {
                            let left = at.saturating_duration_since(std::time::Instant::now());
                            self.ctl
                                .wake
                                .wait_timeout(s, left)
                                .unwrap_or_else(|p| p.into_inner())
                                .0
                        }
                        None => self.ctl.wake.wait(s).unwrap_or_else(|p| p.into_inner()),
                    };
                }
            };
            let (settle_all, turn) = match taken {
                Taken::Job(job) => {
                    let finish_turn = job.finish_turn;
                    let outcome = {
                        let guard = self.net.lock().unwrap_or_else(|p| p.into_inner());
                        match guard.as_ref() {
                            Some(net) => run_work(&self.external, net, job.work, !finish_turn),
                            None => Err(disposed_failure()),
                        }
                    };
                    let outcome = match outcome {
                        // A finish turn reads the outputs itself (after the callback), so the job copied none.
                        Ok(o) => JobOutcome {
                            turn: finish_turn,
                            ..o
                        },
                        Err(f) => JobOutcome::failed(f),
                    };
                    let turn = outcome.turn;
                    (vec![(job.done, outcome)], turn)
                }
                Taken::Batch(parts) => {
                    let guard = self.net.lock().unwrap_or_else(|p| p.into_inner());
                    let settled = match guard.as_ref() {
                        Some(net) => run_batch(&self.external, net, parts),
                        None => parts
                            .into_iter()
                            .map(|p| (p.done, JobOutcome::failed(disposed_failure())))
                            .collect(),
                    };
                    (settled, false)
                }
            };
            {
                let mut s = self.state();
                s.working = false;
                s.turn = turn;
            }
            // Wakes a shutdown waiting for the job to end (and nothing else that cares).
            self.notify();
            // After dispose(): the last job drops the network (before its promise settles).
            self.release_if_idle();
            // Each promise settles on the JS thread, which then reports any new native memory.
            for (done, outcome) in settle_all {
                let exec = self.clone();
                done.resolve(Box::new(move |env| {
                    exec.external.report(&env);
                    for t in outcome.outputs.iter().flatten() {
                        t.report(&env);
                    }
                    Ok(outcome)
                }));
            }
        }
    }
}

/// What a member took: a job of its own or the pool's, or a batch of the pool's requests.
enum Taken {
    Job(Job),
    Batch(Vec<Part>),
}

/// Dynamic batching of a pool (`batching: { maxBatch, maxDelayMs }`).
#[derive(Clone, Copy, Debug)]
pub struct Batching {
    /// Most rows (dim 0 of the inputs, summed over requests) one forward runs.
    pub max_batch: usize,
    /// How long a batch short of rows may wait for more, from its first request's arrival.
    pub max_delay: std::time::Duration,
}

/// A predict waiting in a pool's queue.
struct Queued {
    id: u32,
    feeds: Vec<Feed>,
    /// Its rows (the common dim 0 of its inputs) when it can join a batch at all.
    rows: Option<usize>,
    arrived: std::time::Instant,
    done: Deferred,
}

impl Queued {
    fn into_job(self) -> Job {
        Job {
            work: Work::Predict(self.feeds),
            start_turn: false,
            finish_turn: false,
            done: self.done,
        }
    }
}

/// One request of a batch: its feeds (kept whole, so the request can run alone if the batch
/// fails), its rows and its promise.
struct Part {
    feeds: Vec<Feed>,
    rows: usize,
    done: Deferred,
}

/// What a free member gets from [`PoolQueue::take`].
enum Take {
    Single(Job),
    Batch(Vec<Part>),
    /// The head's batch is short of rows: look again at this time (or on a new request).
    WaitUntil(std::time::Instant),
    Nothing,
}

/// The common dim 0 of a request's inputs: the rows it adds to a batch (`None` when its inputs
/// disagree on dim 0, have rank 0, or it has no rows).
fn batch_rows(feeds: &[Feed]) -> Option<usize> {
    let rows = *feeds.first()?.layout.shapes.first()?;
    let same = feeds.iter().all(|f| f.layout.shapes.first() == Some(&rows));
    (same && rows > 0).then_some(rows)
}

/// Whether two requests can share a forward: the same inputs, each with the same dtype and the
/// same dims except dim 0.
fn joins(a: &[Feed], b: &[Feed]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.layout.data_type == y.layout.data_type
                && x.layout.shapes.get(1..) == y.layout.shapes.get(1..)
        })
}

/// Counters of a pool's work (read by tests and benchmarks).
#[derive(Default)]
struct Counters {
    /// Forwards started from the queue (a batch counts once).
    runs: std::sync::atomic::AtomicU64,
    /// Forwards that ran more than one request.
    batches: std::sync::atomic::AtomicU64,
    /// Requests that ran inside such a forward.
    batched_requests: std::sync::atomic::AtomicU64,
}

/// The queue of a `LiteNetworkPool`: requests wait here, and whichever member network is free
/// takes the next one on its own thread, without a round trip through JS. With batching, the
/// member takes the head request and, behind it, the queued requests that can join it.
pub struct PoolQueue {
    jobs: Mutex<VecDeque<Queued>>,
    members: Vec<Arc<Executor>>,
    batching: Option<Batching>,
    counters: Counters,
}

impl PoolQueue {
    /// Attaches idle networks to a new queue (each then serves it when its own queue is empty).
    pub fn attach(
        members: Vec<Arc<Executor>>,
        batching: Option<Batching>,
    ) -> Result<Arc<PoolQueue>> {
        if members.iter().any(|m| m.busy()) {
            return Err(busy_error());
        }
        let queue = Arc::new(PoolQueue {
            jobs: Mutex::new(VecDeque::new()),
            members,
            batching,
            counters: Counters::default(),
        });
        for m in &queue.members {
            m.state().pool = Some(queue.clone());
            m.ensure_thread().map_err(crate::error::to_js)?;
        }
        Ok(queue)
    }

    fn jobs(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The work for a free member (called under that member's state lock). Without batching,
    /// the head request. With it, the head request and the queued requests behind it that can
    /// join it, in queue order, up to `max_batch` rows; a request that cannot join stays queued
    /// and becomes a head in turn, so none is starved. Short of `max_batch` rows, the batch
    /// waits (queued, so an abort still removes a request) until `max_delay` after the head
    /// arrived.
    fn take(&self, now: std::time::Instant) -> Take {
        let mut jobs = self.jobs();
        let Some(head) = jobs.front() else {
            return Take::Nothing;
        };
        let (batching, rows) = match (self.batching, head.rows) {
            (Some(b), Some(r)) if r < b.max_batch => (b, r),
            _ => return self.single(jobs.pop_front()),
        };
        let mut picked = vec![0usize];
        let mut total = rows;
        for (i, q) in jobs.iter().enumerate().skip(1) {
            if total >= batching.max_batch {
                break;
            }
            match q.rows {
                Some(r) if total + r <= batching.max_batch && joins(&head.feeds, &q.feeds) => {
                    picked.push(i);
                    total += r;
                }
                _ => {}
            }
        }
        if total < batching.max_batch {
            let deadline = head.arrived.checked_add(batching.max_delay).unwrap_or(now);
            if now < deadline {
                return Take::WaitUntil(deadline);
            }
        }
        if picked.len() == 1 {
            return self.single(jobs.pop_front());
        }
        let mut parts = Vec::with_capacity(picked.len());
        for &i in picked.iter().rev() {
            if let Some(q) = jobs.remove(i) {
                parts.push(Part {
                    rows: q.rows.unwrap_or(0),
                    feeds: q.feeds,
                    done: q.done,
                });
            }
        }
        drop(jobs);
        parts.reverse();
        self.counters.runs.fetch_add(1, Ordering::Relaxed);
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters
            .batched_requests
            .fetch_add(parts.len() as u64, Ordering::Relaxed);
        Take::Batch(parts)
    }

    fn single(&self, q: Option<Queued>) -> Take {
        match q {
            Some(q) => {
                self.counters.runs.fetch_add(1, Ordering::Relaxed);
                Take::Single(q.into_job())
            }
            None => Take::Nothing,
        }
    }

    /// Queues a predict; `id` names it for [`PoolQueue::cancel`].
    pub fn submit<'env>(&self, env: &'env Env, id: u32, feeds: Vec<Feed>) -> Result<Object<'env>> {
        let (done, promise) = deferred(env)?;
        let rows = batch_rows(&feeds);
        self.jobs().push_back(Queued {
            id,
            feeds,
            rows,
            arrived: std::time::Instant::now(),
            done,
        });
        // A member checks the queue under its own state lock: taking that lock here before
        // waking it means it either saw the request or is already waiting for this wake-up.
        for m in &self.members {
            drop(m.state());
            m.notify();
        }
        Ok(promise)
    }

    /// Removes a request that no network has taken yet; false when it is running or done.
    pub fn cancel(&self, id: u32, failure: NativeFailure) -> bool {
        let job = {
            let mut jobs = self.jobs();
            let at = jobs.iter().position(|q| q.id == id);
            at.and_then(|i| jobs.remove(i))
        };
        match job {
            Some(q) => {
                settle(q.done, JobOutcome::failed(failure));
                true
            }
            None => false,
        }
    }

    /// Requests waiting for a network: queued beyond what the free networks are about to take.
    pub fn queued(&self) -> usize {
        // Every member's state, then the queue: the order in which a member takes a request,
        // so the count never sees a request both queued and taken.
        let states: Vec<_> = self.members.iter().map(|m| m.state()).collect();
        let free = states
            .iter()
            .filter(|s| !s.busy() && s.pool.is_some())
            .count();
        self.jobs().len().saturating_sub(free)
    }

    /// Forwards run from the queue, of which batches, and the requests those batches ran.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.counters.runs.load(Ordering::Relaxed),
            self.counters.batches.load(Ordering::Relaxed),
            self.counters.batched_requests.load(Ordering::Relaxed),
        )
    }

    /// Detaches the networks and fails every request still queued with `failure`.
    pub fn close(&self, failure: NativeFailure) {
        for m in &self.members {
            m.state().pool = None;
            // A member waiting for a batch's deadline stops waiting.
            m.notify();
        }
        let jobs: Vec<Queued> = self.jobs().drain(..).collect();
        for q in jobs {
            settle(q.done, JobOutcome::failed(failure.clone()));
        }
    }
}

/// Ends an async-mode run that could not start (`forward` failed before the engine took it).
struct AsyncRunGuard<'a>(&'a Executor, bool);

impl AsyncRunGuard<'_> {
    /// The engine took the run: its completion callback ends it.
    fn started(mut self) {
        self.1 = false;
    }
}

impl Drop for AsyncRunGuard<'_> {
    fn drop(&mut self) {
        if self.1 {
            let d = self.0.state().async_run.take().flatten();
            if let Some(d) = d {
                settle(d, JobOutcome::ok());
            }
        }
    }
}

/// The model's names and declared input layouts.
pub fn model_info(net: &Network) -> megengine::Result<NativeModelInfo> {
    let inputs = net.input_names()?;
    let outputs = net.output_names()?;
    let input_layouts = inputs
        .iter()
        .map(|n| {
            let l = net
                .get_io_tensor(n, megengine::TensorPhase::Input)?
                .layout()?;
            crate::megengine::tensor::NativeLayout::from_lite(&l)
                .map_err(|e| LiteError::invalid(e.reason.clone()))
        })
        .collect::<megengine::Result<Vec<_>>>()?;
    Ok(NativeModelInfo {
        inputs,
        outputs,
        input_layouts,
    })
}

/// A host copy of every output, in output order.
pub fn copy_outputs(net: &Network) -> megengine::Result<Vec<NativeTensor>> {
    net.output_names()?
        .iter()
        .map(|name| {
            let t = net.get_io_tensor(name, megengine::TensorPhase::Output)?;
            let mut copy =
                megengine::Tensor::new(&t.layout()?, megengine::DeviceType::Cpu, 0, false)?;
            copy.copy_from(&t)?;
            Ok(NativeTensor::wrap(copy))
        })
        .collect()
}

fn run_work(
    external: &External,
    net: &Network,
    work: Work,
    copy_out: bool,
) -> std::result::Result<JobOutcome, NativeFailure> {
    match work {
        Work::LoadPath(p) => {
            let size = crate::external::file_size(&p);
            decrypting(|| external.measured_load(0, size, || net.load_from_path(&p)))?;
            Ok(JobOutcome {
                info: Some(model_info(net)?),
                ..JobOutcome::ok()
            })
        }
        Work::LoadBytes(b) => {
            let kept = b.len();
            decrypting(|| {
                external.measured_load(kept, kept, || net.load_from_owned(b.into_boxed_slice()))
            })?;
            Ok(JobOutcome {
                info: Some(model_info(net)?),
                ..JobOutcome::ok()
            })
        }
        Work::LoadDecrypted(b) => {
            let kept = b.len();
            decrypting(|| {
                external.measured_load(kept, kept, || {
                    net.load_from_owned_decrypted(b.into_boxed_slice())
                })
            })?;
            Ok(JobOutcome {
                info: Some(model_info(net)?),
                ..JobOutcome::ok()
            })
        }
        Work::Forward => {
            external.measured_run(|| net.forward().and_then(|()| net.wait()))?;
            Ok(JobOutcome::ok())
        }
        Work::Predict(feeds) => {
            let restore: Vec<(String, megengine::Layout)> = feeds
                .iter()
                .filter_map(|f| f.restore.clone().map(|l| (f.name.clone(), l)))
                .collect();
            let ran = external.measured_run(|| predict(net, feeds));
            // A shape given with a feed holds for this call only, whether or not it ran.
            restore_layouts(net, restore);
            ran?;
            Ok(JobOutcome {
                outputs: if copy_out {
                    Some(copy_outputs(net)?)
                } else {
                    None
                },
                ..JobOutcome::ok()
            })
        }
    }
}

/// Runs a load on this (the network's) thread. JS decryptors are run by the JS thread before
/// such a load is queued, and the engine's own call of one here gives no data at once (see
/// `crypto.rs`); if that happened and the load failed, the failure is `LITE_DECRYPTION_FAILED`
/// with the decryptor's reason, and the engine's text.
fn decrypting(
    load: impl FnOnce() -> megengine::Result<()>,
) -> std::result::Result<(), NativeFailure> {
    crate::megengine::crypto::take_thread_failure();
    let r = load();
    let reason = crate::megengine::crypto::take_thread_failure();
    match (r, reason) {
        (Ok(()), _) => Ok(()),
        (Err(e), Some(reason)) if e.code == megengine::ErrorCode::LiteError => Err(NativeFailure {
            code: "LITE_DECRYPTION_FAILED".into(),
            message: reason,
            engine_message: Some(e.message),
        }),
        (Err(e), _) => Err(e.into()),
    }
}

fn predict(net: &Network, feeds: Vec<Feed>) -> megengine::Result<()> {
    for f in feeds {
        let mut t = net.get_io_tensor(&f.name, megengine::TensorPhase::Input)?;
        if t.device_type()? == megengine::DeviceType::Cpu {
            t.reset_with(f.bytes, Some(&f.layout))?;
        } else {
            t.set_layout(&f.layout)?;
            t.copy_from_host(&f.bytes)?;
        }
    }
    net.forward()?;
    net.wait()
}

/// Runs a batch as one forward and gives each request exactly its rows of every output. If the
/// batched forward fails, each request runs alone, so that each settles as it would have without
/// batching (its own outputs, or its own error).
fn run_batch(external: &External, net: &Network, parts: Vec<Part>) -> Vec<(Deferred, JobOutcome)> {
    match forward_batch(external, net, &parts) {
        Ok(outputs) if outputs.len() == parts.len() => parts
            .into_iter()
            .zip(outputs)
            .map(|(p, out)| {
                (
                    p.done,
                    JobOutcome {
                        outputs: Some(out),
                        ..JobOutcome::ok()
                    },
                )
            })
            .collect(),
        _ => parts
            .into_iter()
            .map(|p| {
                let outcome = run_work(external, net, Work::Predict(p.feeds), true)
                    .unwrap_or_else(JobOutcome::failed);
                (p.done, outcome)
            })
            .collect(),
    }
}

/// Stacks the requests' rows into the network's inputs (dim 0 = the rows summed), forwards once,
/// and splits every output along dim 0 by each request's rows.
fn forward_batch(
    external: &External,
    net: &Network,
    parts: &[Part],
) -> megengine::Result<Vec<Vec<NativeTensor>>> {
    let head = parts
        .first()
        .ok_or_else(|| LiteError::invalid("an empty batch"))?;
    let total: usize = parts.iter().map(|p| p.rows).sum();
    let mut stacked = Vec::with_capacity(head.feeds.len());
    for (k, f) in head.feeds.iter().enumerate() {
        let mut shapes = f.layout.shapes.clone();
        if let Some(d0) = shapes.first_mut() {
            *d0 = total;
        }
        let layout = megengine::Layout::new(shapes, f.layout.data_type)?;
        let mut bytes = Vec::with_capacity(layout.nbytes());
        for p in parts {
            let pf = p
                .feeds
                .get(k)
                .ok_or_else(|| LiteError::invalid("batched requests differ in inputs"))?;
            bytes.extend_from_slice(&pf.bytes);
        }
        if bytes.len() != layout.nbytes() {
            return Err(LiteError::invalid(format!(
                "batched input {:?} has {} bytes, its layout needs {}",
                f.name,
                bytes.len(),
                layout.nbytes()
            )));
        }
        // A feed without `restore` has the declared layout.
        let declared = f.restore.clone().unwrap_or_else(|| f.layout.clone());
        let restore = (declared != layout).then_some(declared);
        stacked.push(Feed {
            name: f.name.clone(),
            layout,
            bytes,
            restore,
        });
    }
    let restore: Vec<(String, megengine::Layout)> = stacked
        .iter()
        .filter_map(|f| f.restore.clone().map(|l| (f.name.clone(), l)))
        .collect();
    let ran = external
        .measured_run(|| predict(net, stacked))
        .and_then(|()| split_outputs(net, parts, total));
    restore_layouts(net, restore);
    ran
}

/// Every output, split along dim 0 into each request's rows (host copies, in output order).
fn split_outputs(
    net: &Network,
    parts: &[Part],
    total: usize,
) -> megengine::Result<Vec<Vec<NativeTensor>>> {
    let mut per: Vec<Vec<NativeTensor>> = parts.iter().map(|_| Vec::new()).collect();
    for name in net.output_names()? {
        let t = net.get_io_tensor(&name, megengine::TensorPhase::Output)?;
        let layout = t.layout()?;
        if layout.shapes.first() != Some(&total) {
            return Err(LiteError::invalid(format!(
                "output {name:?} has shape {:?}, which does not follow a batch of {total} rows",
                layout.shapes
            )));
        }
        let bytes = t.to_host_bytes()?;
        let row = bytes.len() / total;
        let mut at = 0usize;
        for (p, out) in parts.iter().zip(per.iter_mut()) {
            let mut shapes = layout.shapes.clone();
            if let Some(d0) = shapes.first_mut() {
                *d0 = p.rows;
            }
            let l = megengine::Layout::new(shapes, layout.data_type)?;
            let end = at + row * p.rows;
            let slice = bytes
                .get(at..end)
                .ok_or_else(|| LiteError::invalid(format!("output {name:?} is short")))?;
            out.push(NativeTensor::wrap(megengine::Tensor::from_host_bytes(
                &l, slice,
            )?));
            at = end;
        }
    }
    Ok(per)
}

/// Puts back the declared layouts of inputs that a call's feeds reshaped.
fn restore_layouts(net: &Network, restore: Vec<(String, megengine::Layout)>) {
    for (name, layout) in restore {
        if let Ok(mut t) = net.get_io_tensor(&name, megengine::TensorPhase::Input) {
            let _ = t.set_layout(&layout);
        }
    }
}

/// Something that owns engine threads and stops them when its JS environment goes away.
pub trait Shutdown: Send + Sync {
    /// Finishes (or abandons, after a bounded wait) the running job, runs nothing more, and
    /// joins the threads.
    fn shutdown(&self);
}

impl Shutdown for Executor {
    fn shutdown(&self) {
        Executor::shutdown(self);
    }
}

/// Thread owners (network executors, MindSpore lanes), by the JS thread that owns them. Node's
/// `process.exit()` tears down no environment on the main thread (no cleanup hook runs) and
/// calls `exit()`, whose handlers unload the engines' statics while an engine thread may still
/// be inside them; `@lite/core` and `@lite/mindspore` therefore call [`shutdown_executors`]
/// from the `process` `'exit'` event. Only thread owners live here, never a JS handle.
type Owners = Vec<(std::thread::ThreadId, std::sync::Weak<dyn Shutdown>)>;
static THREADED: Mutex<Owners> = Mutex::new(Vec::new());

/// Registers a thread owner created on the calling JS thread.
pub(crate) fn join_at_exit(owner: Arc<dyn Shutdown>) {
    let mut list = THREADED.lock().unwrap_or_else(|p| p.into_inner());
    list.retain(|(_, w)| w.strong_count() > 0);
    list.push((std::thread::current().id(), Arc::downgrade(&owner)));
}

/// Stops the engine threads owned by the calling JS thread: each finishes the job it is in and
/// is joined (called when the process or worker exits).
pub fn shutdown_executors() {
    let me = std::thread::current().id();
    let mine: Vec<Arc<dyn Shutdown>> = {
        let mut list = THREADED.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, rest): (Vec<_>, Vec<_>) = list.drain(..).partition(|(owner, _)| *owner == me);
        *list = rest;
        mine.into_iter().filter_map(|(_, w)| w.upgrade()).collect()
    };
    for owner in mine {
        owner.shutdown();
    }
}
