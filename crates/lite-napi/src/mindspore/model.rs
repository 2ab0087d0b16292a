//! MindSpore Lite: `MsModel` and `MsRunner`, the JS faces of `mindspore::Model` and
//! `mindspore::Runner` (used by `@lite/mindspore`). Nothing here touches the runtime until
//! `loadMindsporeRuntime` or a build is called, so MegEngine users never load it.

use crate::error::{disposed, IntoJs, NativeFailure, Result};
use crate::external::External;
use crate::mindspore::batch::{self, Rows};
use crate::mindspore::lanes::{AtExit, BatchCounts, Batching, LaneJob, Lanes};
use mindspore::{BuildOptions, ConfigEntry, Input, Model, ModelType, Runner, TensorData};
use napi::bindgen_prelude::*;
use napi::CleanupEnvHook;
use napi_derive::napi;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, TryLockError, Weak};
use std::time::Duration;

/// Loads the MindSpore Lite runtime (`MINDSPORE_LITE_LIB_DIR` wins; else `dir`, the runtime
/// package's folder; else the per-user cache). Never writes the environment.
/// Returns the folder loaded. Idempotent.
#[napi]
pub fn load_mindspore_runtime(dir: Option<String>) -> Result<String> {
    let p = dir.map(PathBuf::from);
    Ok(mindspore::init(p.as_deref()).js()?.display().to_string())
}

/// One `config_dict` entry.
#[napi(object)]
#[derive(Clone)]
pub struct MsConfigEntry {
    pub section: String,
    pub key: String,
    pub value: String,
}

impl From<MsConfigEntry> for ConfigEntry {
    fn from(e: MsConfigEntry) -> ConfigEntry {
        ConfigEntry {
            section: e.section,
            key: e.key,
            value: e.value,
        }
    }
}

/// Build settings (a CPU Context plus config and runner workers), all optional.
#[napi(object)]
#[derive(Clone, Default)]
pub struct MsBuildOptions {
    pub thread_num: Option<i32>,
    pub inter_op_parallel_num: Option<i32>,
    pub affinity_mode: Option<i32>,
    pub core_list: Option<Vec<i32>>,
    pub enable_fp16: Option<bool>,
    pub config_path: Option<String>,
    pub config: Option<Vec<MsConfigEntry>>,
    pub workers_num: Option<i32>,
}

impl From<MsBuildOptions> for BuildOptions {
    fn from(o: MsBuildOptions) -> BuildOptions {
        BuildOptions {
            thread_num: o.thread_num,
            inter_op_parallel_num: o.inter_op_parallel_num,
            affinity_mode: o.affinity_mode,
            core_list: o.core_list.unwrap_or_default(),
            enable_fp16: o.enable_fp16.unwrap_or(false),
            config_path: o.config_path,
            config: o
                .config
                .unwrap_or_default()
                .into_iter()
                .map(ConfigEntry::from)
                .collect(),
            workers_num: o.workers_num,
        }
    }
}

/// Dynamic batching of a runner's requests (`@lite/mindspore` checks the values first).
#[napi(object)]
#[derive(Clone, Copy)]
pub struct MsBatching {
    /// Most rows (sum of dim 0) one engine call takes.
    pub max_batch: u32,
    /// Longest a request waits, from its arrival, for others to join it (milliseconds).
    pub max_delay_ms: f64,
}

impl MsBatching {
    fn to_lanes(self) -> Result<Batching> {
        let ok = self.max_batch >= 1
            && self.max_delay_ms.is_finite()
            && (0.0..=60_000.0).contains(&self.max_delay_ms);
        if !ok {
            return Err(crate::error::invalid(format!(
                "batching: maxBatch must be at least 1 and maxDelayMs in 0..=60000, got {} and {}",
                self.max_batch, self.max_delay_ms
            )));
        }
        Ok(Batching {
            max_batch: self.max_batch as usize,
            max_delay: Duration::from_secs_f64(self.max_delay_ms / 1000.0),
        })
    }
}

/// What a batching runner has run: engine calls and the requests they served.
#[napi(object, object_from_js = false)]
pub struct MsBatchCounts {
    /// Engine calls made for requests.
    pub runs: f64,
    /// Requests served by those calls.
    pub requests: f64,
}

impl From<BatchCounts> for MsBatchCounts {
    fn from(c: BatchCounts) -> MsBatchCounts {
        MsBatchCounts {
            runs: c.runs as f64,
            requests: c.requests as f64,
        }
    }
}

/// A tensor as plain data: description and, when the engine had data, a copy of it.
#[napi(object, object_from_js = false)]
pub struct MsTensorData {
    pub name: String,
    pub dtype: i32,
    pub format: i32,
    pub shape: Vec<i64>,
    pub data_size: i64,
    /// A copy of the data, as an ArrayBuffer V8 owns (made on the JS thread).
    #[napi(ts_type = "ArrayBuffer")]
    pub data: Option<HostBytes>,
}

/// Bytes copied out of the engine (on any thread) that reach JS as an ArrayBuffer whose memory
/// V8 owns: one memcpy on the JS thread, and no external buffer with a finalizer per output (a
/// per-call cost the collector pays later).
pub struct HostBytes(Vec<u8>);

impl TypeName for HostBytes {
    fn type_name() -> &'static str {
        "ArrayBuffer"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for HostBytes {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        let ab = ArrayBuffer::copy_from(&env, &val.0)?;
        // SAFETY: `ab` is a value of this environment, converted on its thread.
        unsafe { ArrayBuffer::to_napi_value(env.raw(), ab) }
    }
}

fn to_js_tensors(list: Vec<TensorData>) -> Vec<MsTensorData> {
    list.into_iter()
        .map(|t| MsTensorData {
            name: t.info.name,
            dtype: t.info.dtype,
            format: t.info.format,
            shape: t.info.shape,
            data_size: i64::try_from(t.info.data_size).unwrap_or(i64::MAX),
            data: t.data.map(HostBytes),
        })
        .collect()
}

/// A predict's outputs as they cross to JS: each output's bytes, and its dims. Names, dtypes and
/// formats cannot change after a build, so JS takes them from the model's output descriptions
/// once instead of receiving them with every call (an object per output with six named properties
/// cost several microseconds per call).
#[napi(object, object_from_js = false)]
pub struct MsPredicted {
    /// One ArrayBuffer per output, in output order (V8-owned copies).
    #[napi(ts_type = "ArrayBuffer[]")]
    pub data: Vec<HostBytes>,
    /// The dims of every output, flat: per output, its rank, then that many dims.
    pub dims: Vec<i64>,
}

fn to_predicted(list: Vec<TensorData>) -> MsPredicted {
    let mut dims = Vec::with_capacity(list.iter().map(|t| t.info.shape.len() + 1).sum());
    let data = list
        .into_iter()
        .map(|t| {
            dims.push(i64::try_from(t.info.shape.len()).unwrap_or(i64::MAX));
            dims.extend_from_slice(&t.info.shape);
            HostBytes(t.data.unwrap_or_default())
        })
        .collect();
    MsPredicted { data, dims }
}

/// Output descriptions without data (what JS keeps after a build).
fn to_js_infos(list: Vec<TensorData>) -> Vec<MsTensorData> {
    to_js_tensors(
        list.into_iter()
            .map(|t| TensorData {
                info: t.info,
                data: None,
            })
            .collect(),
    )
}

fn to_model_type(value: u32) -> Result<ModelType> {
    ModelType::from_c(value).js()
}

type SharedModel = Arc<Mutex<Option<Model>>>;

fn busy() -> Error<crate::error::Code> {
    Error::new(
        crate::error::Code("LITE_BUSY"),
        "the Model is running an asynchronous call; await it first".to_string(),
    )
}

fn lock_model(shared: &SharedModel) -> std::sync::MutexGuard<'_, Option<Model>> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a synchronous call from JS on the model: only when its queue is idle (else LITE_BUSY),
/// so the JS thread never waits for a job.
fn with_model<T>(
    lanes: &Lanes,
    shared: &SharedModel,
    f: impl FnOnce(&mut Option<Model>) -> Result<T>,
) -> Result<T> {
    if lanes.busy() {
        return Err(busy());
    }
    let mut guard = match shared.try_lock() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) => return Err(busy()),
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
    };
    f(&mut guard)
}

fn built(model: &mut Option<Model>) -> Result<&mut Model> {
    model
        .as_mut()
        .ok_or_else(|| crate::error::invalid(NOT_BUILT))
}

/// How an async call ended: a failure, or the outputs of a predict.
#[napi(object, object_from_js = false)]
pub struct MsOutcome {
    /// Set when the call failed.
    pub failure: Option<NativeFailure>,
    /// After a build: the declared inputs.
    pub outputs: Option<Vec<MsTensorData>>,
    /// After a build: the output descriptions (no data), in model order.
    pub output_infos: Option<Vec<MsTensorData>>,
    /// A predict's outputs (copies).
    pub predicted: Option<MsPredicted>,
}

/// What a job produced.
#[derive(Default)]
struct Done {
    /// After a build: the declared inputs and the output descriptions.
    built: Option<(Vec<TensorData>, Vec<TensorData>)>,
    /// A predict's outputs.
    predicted: Option<Vec<TensorData>>,
}

impl Done {
    fn predicted(t: Vec<TensorData>) -> Done {
        Done {
            built: None,
            predicted: Some(t),
        }
    }
}

/// A promise settled from any thread through the environment's settlement channel.
type Deferred = crate::settle::Deferred<MsOutcome>;
type Work = Box<dyn FnOnce() -> std::result::Result<Done, NativeFailure> + Send>;

/// One queued call: its work, its promise, and the memory account to report (or release) when
/// it settles.
struct Job {
    work: Option<Work>,
    result: Option<std::result::Result<Done, NativeFailure>>,
    done: Deferred,
    external: Arc<External>,
    /// The job frees the engine object: release its memory account instead of reporting it.
    release: bool,
}

impl Job {
    fn submit<'env>(
        env: &'env Env,
        lanes: &Arc<Lanes>,
        external: &Arc<External>,
        what: &'static str,
        work: Work,
    ) -> Result<Object<'env>> {
        let (done, promise) = Deferred::new(env).map_err(crate::error::from_napi)?;
        let job = Job {
            work: Some(work),
            result: None,
            done,
            external: external.clone(),
            release: false,
        };
        lanes.submit(Box::new(job), || disposed_failure(what));
        Ok(promise)
    }

    fn finish(self, result: std::result::Result<Done, NativeFailure>) {
        resolve(self.done, self.external, self.release, result);
    }
}

/// Settles a job's promise with its result, reporting (or, with `release`, releasing) its
/// memory account on the JS thread.
fn resolve(
    done: Deferred,
    external: Arc<External>,
    release: bool,
    result: std::result::Result<Done, NativeFailure>,
) {
    done.resolve(Box::new(move |env| {
        if release {
            external.release(&env);
        } else {
            external.report(&env);
        }
        Ok(match result {
            Ok(done) => {
                let (inputs, outputs) = done.built.unzip();
                MsOutcome {
                    failure: None,
                    outputs: inputs.map(to_js_tensors),
                    output_infos: outputs.map(to_js_infos),
                    predicted: done.predicted.map(to_predicted),
                }
            }
            Err(f) => MsOutcome {
                failure: Some(f),
                outputs: None,
                output_infos: None,
                predicted: None,
            },
        })
    }));
}

impl LaneJob for Job {
    fn run(&mut self) {
        if let Some(work) = self.work.take() {
            self.result = Some(work());
        }
    }

    fn settle(mut self: Box<Self>) {
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(never_ran("the job")));
        self.finish(result);
    }

    fn cancel(self: Box<Self>, failure: NativeFailure) {
        self.finish(Err(failure));
    }
}

/// The failure of a lane job settled without having run (an internal error).
fn never_ran(what: &str) -> NativeFailure {
    NativeFailure {
        code: "LITE_ERROR".into(),
        message: format!("{what} settled without running (an internal error)"),
        engine_message: None,
    }
}

/// One request of a runner: its inputs (copied at the call) as rows that a batching runner may
/// stack with other requests' rows.
struct RunnerPredict {
    runner: Arc<Runner>,
    rows: Rows,
    ticket: Option<u32>,
    result: Option<std::result::Result<Vec<TensorData>, NativeFailure>>,
    done: Deferred,
    external: Arc<External>,
}

impl LaneJob for RunnerPredict {
    fn run(&mut self) {
        let r = self.runner.predict(&self.rows.inputs());
        self.result = Some(r.map_err(NativeFailure::from));
    }

    fn settle(mut self: Box<Self>) {
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(never_ran("the request")));
        resolve(self.done, self.external, false, result.map(Done::predicted));
    }

    fn cancel(self: Box<Self>, failure: NativeFailure) {
        resolve(self.done, self.external, false, Err(failure));
    }

    fn rows(&self) -> Option<&Rows> {
        Some(&self.rows).filter(|r| r.stackable())
    }

    fn ticket(&self) -> Option<u32> {
        self.ticket
    }

    fn run_stacked(&mut self, others: &mut [Box<dyn LaneJob>]) {
        if others.is_empty() {
            return self.run();
        }
        let mut parts = vec![&self.rows];
        parts.extend(others.iter().filter_map(|o| o.rows()));
        let counts: Vec<usize> = parts.iter().map(|p| p.count()).collect();
        let (shapes, data) = batch::stack(&parts);
        let outcome = self
            .runner
            .predict(&paired(&shapes, &data))
            .map_err(NativeFailure::from)
            .and_then(|outputs| batch::split(outputs, &counts));
        match outcome {
            Ok(per) => {
                let mut per = per.into_iter();
                self.result = per.next().map(Ok);
                for (o, r) in others.iter_mut().zip(per) {
                    o.put_result(Ok(r));
                }
            }
            Err(f) => {
                for o in others.iter_mut() {
                    o.put_result(Err(f.clone()));
                }
                self.result = Some(Err(f));
            }
        }
    }

    fn put_result(&mut self, result: std::result::Result<Vec<TensorData>, NativeFailure>) {
        self.result = Some(result);
    }
}

fn disposed_failure(what: &str) -> NativeFailure {
    NativeFailure {
        code: "LITE_DISPOSED".into(),
        message: format!("the {what} was disposed"),
        engine_message: None,
    }
}

/// Stops an object's lanes and frees its engine object when the JS environment goes away
/// (removed when the object is collected first).
fn teardown_hook(env: &Env, owner: &Arc<AtExit>) -> Result<CleanupEnvHook<Weak<AtExit>>> {
    env.add_env_cleanup_hook(Arc::downgrade(owner), |weak| {
        if let Some(owner) = weak.upgrade() {
            crate::megengine::executor::Shutdown::shutdown(&*owner);
        }
    })
    .map_err(crate::error::from_napi)
}

/// How a build gets its model.
pub enum ModelSource {
    /// A file path.
    Path(PathBuf),
    /// Bytes (copied at the call).
    Bytes(Vec<u8>),
}

impl ModelSource {
    /// The model's size in bytes (0 for a file that cannot be read).
    fn size(&self) -> usize {
        match self {
            ModelSource::Path(p) => crate::external::file_size(p),
            ModelSource::Bytes(b) => b.len(),
        }
    }
}

fn build(
    source: &ModelSource,
    model_type: ModelType,
    options: &BuildOptions,
) -> mindspore::Result<Model> {
    let mut model = Model::new()?;
    match source {
        ModelSource::Path(p) => model.build_from_file(p, model_type, options)?,
        ModelSource::Bytes(b) => model.build_from_buffer(b, model_type, options)?,
    }
    Ok(model)
}

const ALREADY_BUILT: &str = "the model is already built; create a new Model to build another";
const NOT_BUILT: &str = "the model is not built yet: call buildFromFile or buildFromBuffer first";

/// Builds into an empty slot (checked before the slow build, so a second build costs nothing).
fn build_into(
    slot: &mut Option<Model>,
    source: &ModelSource,
    ty: ModelType,
    options: &BuildOptions,
) -> mindspore::Result<()> {
    if slot.is_some() {
        return Err(mindspore::LiteError::invalid(ALREADY_BUILT));
    }
    *slot = Some(build(source, ty, options)?);
    Ok(())
}

/// What a model and a runner both hold besides their engine object: the queue that owns it, the
/// memory account reported to V8, and the exit hook that frees the engine object first.
struct Owner {
    lanes: Arc<Lanes>,
    /// The engine object's native memory, as reported to V8.
    external: Arc<External>,
    /// Frees the engine object when the environment exits first.
    _exit: Arc<AtExit>,
    teardown: Option<CleanupEnvHook<Weak<AtExit>>>,
}

impl Owner {
    /// Lanes named `name`, `width` wide; `free` frees the engine object at the environment's exit.
    fn new(
        env: &Env,
        name: &'static str,
        width: usize,
        free: impl Fn() + Send + Sync + 'static,
    ) -> Result<Owner> {
        let lanes = Lanes::new(name, width);
        let exit = AtExit::register(&lanes, free);
        let teardown = Some(teardown_hook(env, &exit)?);
        Ok(Owner {
            lanes,
            external: Arc::default(),
            _exit: exit,
            teardown,
        })
    }

    /// The JS object was collected: its memory account goes, and so does its exit hook.
    fn finalize(&mut self, env: &Env) -> napi::Result<()> {
        self.external.release(env);
        if let Some(hook) = self.teardown.take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        Ok(())
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        // Queued calls still run (each holds what it needs); then the lanes exit.
        self.lanes.close(None);
    }
}

/// A MindSpore Lite model (one engine model; calls on it never overlap). Its queue is the one
/// place that decides whether it is busy.
#[napi(custom_finalize)]
pub struct MsModel {
    shared: SharedModel,
    /// Runs the async calls, one at a time, in call order.
    owner: Owner,
}

impl ObjectFinalize for MsModel {
    fn finalize(mut self, env: Env) -> napi::Result<()> {
        self.owner.finalize(&env)
    }
}

#[napi]
impl MsModel {
    /// An unbuilt model; nothing native exists until a build.
    #[napi(constructor)]
    pub fn new(env: Env) -> Result<Self> {
        let shared: SharedModel = Arc::new(Mutex::new(None));
        let slot = shared.clone();
        let owner = Owner::new(&env, "lite-ms-model", 1, move || {
            // A call stuck past the shutdown wait still holds the model: leave it then.
            if let Ok(mut m) = slot.try_lock() {
                drop(m.take());
            }
        })?;
        Ok(MsModel { shared, owner })
    }

    /// Builds from a file (blocking).
    #[napi]
    pub fn build_from_file(
        &self,
        env: Env,
        path: String,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<()> {
        self.build_now(
            &env,
            ModelSource::Path(PathBuf::from(path)),
            model_type,
            options,
        )
    }

    /// Builds from bytes (blocking; the engine copies what it keeps).
    #[napi]
    pub fn build_from_buffer(
        &self,
        env: Env,
        bytes: &[u8],
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<()> {
        self.build_now(
            &env,
            ModelSource::Bytes(bytes.to_vec()),
            model_type,
            options,
        )
    }

    /// Builds from a file on the model's thread, after the calls queued before it; the outcome's
    /// `outputs` are the declared inputs.
    #[napi(ts_return_type = "Promise<MsOutcome>")]
    pub fn build_from_file_async<'env>(
        &self,
        env: &'env Env,
        path: String,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<Object<'env>> {
        self.build_job(
            env,
            ModelSource::Path(PathBuf::from(path)),
            model_type,
            options,
        )
    }

    /// Builds from bytes (copied now) on the model's thread.
    #[napi(ts_return_type = "Promise<MsOutcome>")]
    pub fn build_from_buffer_async<'env>(
        &self,
        env: &'env Env,
        bytes: &[u8],
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<Object<'env>> {
        self.build_job(env, ModelSource::Bytes(bytes.to_vec()), model_type, options)
    }

    /// Whether a call is queued or running (sync calls then throw LITE_BUSY).
    #[napi]
    pub fn is_busy(&self) -> bool {
        self.owner.lanes.busy()
    }

    /// Whether a build succeeded (and the model is not disposed).
    #[napi(getter)]
    pub fn built(&self) -> Result<bool> {
        with_model(&self.owner.lanes, &self.shared, |m| Ok(m.is_some()))
    }

    /// Input descriptions (and the data they hold, if any).
    #[napi]
    pub fn inputs(&self) -> Result<Vec<MsTensorData>> {
        with_model(&self.owner.lanes, &self.shared, |m| {
            Ok(to_js_tensors(built(m)?.inputs(true).js()?))
        })
    }

    /// Input descriptions as declared by the model (dynamic dims are -1).
    #[napi]
    pub fn declared_inputs(&self) -> Result<Vec<MsTensorData>> {
        with_model(&self.owner.lanes, &self.shared, |m| {
            let declared = built(m)?.declared_inputs().to_vec();
            Ok(to_js_tensors(
                declared
                    .into_iter()
                    .map(|info| TensorData { info, data: None })
                    .collect(),
            ))
        })
    }

    /// Output descriptions (and the last predict's data, if any).
    #[napi]
    pub fn outputs(&self) -> Result<Vec<MsTensorData>> {
        with_model(&self.owner.lanes, &self.shared, |m| {
            Ok(to_js_tensors(built(m)?.outputs(true).js()?))
        })
    }

    /// Resizes every input (one shape per input).
    #[napi]
    pub fn resize(&self, shapes: Vec<Vec<i64>>) -> Result<()> {
        with_model(&self.owner.lanes, &self.shared, |m| {
            built(m)?.resize(&shapes).js()
        })
    }

    /// Runs on the given inputs (one shape + bytes per input; resized first if the shapes differ).
    #[napi]
    pub fn predict(
        &self,
        env: Env,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8ArraySlice<'_>>,
    ) -> Result<MsPredicted> {
        let inputs = feeds(&shapes, &data)?;
        let external = &self.owner.external;
        let out = with_model(&self.owner.lanes, &self.shared, |m| {
            let model = built(m)?;
            Ok(to_predicted(
                external.measured_run(|| model.predict(&inputs)).js()?,
            ))
        });
        external.report(&env);
        out
    }

    /// Native memory of the engine model as reported to V8 (an estimate, in bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.owner.external.estimate() as f64
    }

    /// `predict` on the model's thread, after the calls queued before it; the input bytes are
    /// copied now.
    #[napi(ts_return_type = "Promise<MsOutcome>")]
    pub fn predict_async<'env>(
        &self,
        env: &'env Env,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8ArraySlice<'_>>,
    ) -> Result<Object<'env>> {
        feeds(&shapes, &data)?;
        let owned: Vec<Vec<u8>> = data.iter().map(|d| d.to_vec()).collect();
        let shared = self.shared.clone();
        let external = self.owner.external.clone();
        let work: Work = Box::new(move || {
            let mut slot = lock_model(&shared);
            let model = slot
                .as_mut()
                .ok_or_else(|| NativeFailure::from(mindspore::LiteError::invalid(NOT_BUILT)))?;
            let inputs = paired(&shapes, &owned);
            external
                .measured_run(|| model.predict(&inputs))
                .map(Done::predicted)
                .map_err(NativeFailure::from)
        });
        Job::submit(env, &self.owner.lanes, &self.owner.external, "Model", work)
    }

    /// Frees the engine model: now when nothing is queued, else after the queued calls (later
    /// calls fail with LITE_DISPOSED). Idempotent.
    #[napi]
    pub fn dispose(&self, env: Env) -> Result<()> {
        if self.owner.lanes.closed() {
            return Ok(());
        }
        if self.owner.lanes.busy() {
            let shared = self.shared.clone();
            let (done, _promise) = Deferred::new(&env).map_err(crate::error::from_napi)?;
            let job = Job {
                work: Some(Box::new(move || {
                    drop(lock_model(&shared).take());
                    Ok(Done::default())
                })),
                result: None,
                done,
                external: self.owner.external.clone(),
                release: true,
            };
            self.owner
                .lanes
                .submit(Box::new(job), || disposed_failure("Model"));
            self.owner.lanes.close(None);
            return Ok(());
        }
        self.owner.lanes.close(None);
        drop(lock_model(&self.shared).take());
        self.owner.external.release(&env);
        Ok(())
    }
}

impl MsModel {
    fn build_now(
        &self,
        env: &Env,
        source: ModelSource,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<()> {
        let ty = to_model_type(model_type)?;
        let external = &self.owner.external;
        let r = with_model(&self.owner.lanes, &self.shared, |slot| {
            external
                .measured_load(0, source.size(), || {
                    build_into(slot, &source, ty, &options.into())
                })
                .js()
        });
        external.report(env);
        r
    }

    fn build_job<'env>(
        &self,
        env: &'env Env,
        source: ModelSource,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<Object<'env>> {
        let ty = to_model_type(model_type)?;
        let options: BuildOptions = options.into();
        let shared = self.shared.clone();
        let external = self.owner.external.clone();
        let work: Work = Box::new(move || {
            let mut slot = lock_model(&shared);
            external
                .measured_load(0, source.size(), || {
                    build_into(&mut slot, &source, ty, &options)
                })
                .map_err(NativeFailure::from)?;
            // The declared inputs travel with the outcome: a call queued behind the build may
            // hold the model by the time the promise settles.
            let Some(m) = slot.as_ref() else {
                return Ok(Done::default());
            };
            let outputs = m.outputs(false).map_err(NativeFailure::from)?;
            let inputs = m
                .declared_inputs()
                .iter()
                .cloned()
                .map(|info| TensorData { info, data: None })
                .collect();
            Ok(Done {
                built: Some((inputs, outputs)),
                predicted: None,
            })
        });
        Job::submit(env, &self.owner.lanes, &self.owner.external, "Model", work)
    }
}

/// The engine inputs of a call. The bytes are borrowed views of the caller's arrays (no reference
/// to each array is created and deleted per call): they are used, or copied for a queued job,
/// before the call returns, and no JS runs meanwhile, so nothing can detach them.
fn feeds<'a>(shapes: &'a [Vec<i64>], data: &'a [Uint8ArraySlice<'_>]) -> Result<Vec<Input<'a>>> {
    if shapes.len() != data.len() {
        return Err(crate::error::invalid(format!(
            "{} shapes for {} data buffers",
            shapes.len(),
            data.len()
        )));
    }
    Ok(paired(shapes, data))
}

/// One engine input per (shape, bytes) pair (the caller checked the counts match).
fn paired<'a, D: AsRef<[u8]>>(shapes: &'a [Vec<i64>], data: &'a [D]) -> Vec<Input<'a>> {
    shapes
        .iter()
        .zip(data)
        .map(|(s, d)| Input {
            shape: s,
            data: d.as_ref(),
        })
        .collect()
}

/// Builds a runner; with `batching`, checks that its model can be batched.
fn build_runner(path: &Path, options: &BuildOptions, batching: bool) -> mindspore::Result<Runner> {
    let runner = Runner::from_file(path, options)?;
    if batching {
        batch::check_batchable(&runner)?;
    }
    Ok(runner)
}

/// The runner behind a `ModelParallelRunner`, once built.
#[derive(Default)]
struct RunnerSlot {
    runner: Option<Arc<Runner>>,
    /// An async build is queued or running.
    building: bool,
    disposed: bool,
}

fn lock_slot(slot: &Mutex<RunnerSlot>) -> std::sync::MutexGuard<'_, RunnerSlot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// A `ModelParallelRunner`: requests wait in a native queue and run on up to `width` threads at
/// once, each inside the engine runner (which spreads them over its workers).
#[napi(custom_finalize)]
pub struct MsRunner {
    slot: Arc<Mutex<RunnerSlot>>,
    owner: Owner,
}

impl ObjectFinalize for MsRunner {
    fn finalize(mut self, env: Env) -> napi::Result<()> {
        self.owner.finalize(&env)
    }
}

/// LITE_BUSY: an async build of the runner is queued or running.
fn runner_building() -> Error<crate::error::Code> {
    Error::new(
        crate::error::Code("LITE_BUSY"),
        "the runner is building: await buildFromFileAsync first".to_string(),
    )
}

const RUNNER_NOT_BUILT: &str = "the runner is not built yet: call buildFromFile first";
const RUNNER_BUILT: &str =
    "the runner is already built; create a new ModelParallelRunner to build another";

#[napi]
impl MsRunner {
    /// An unbuilt runner whose requests run at most `width` at a time (at least 1).
    #[napi(constructor)]
    pub fn new(env: Env, width: u32) -> Result<Self> {
        let slot: Arc<Mutex<RunnerSlot>> = Arc::default();
        let held = slot.clone();
        // Requests hold the runner while they run; the lanes have stopped when this runs.
        let owner = Owner::new(&env, "lite-ms-runner", width.max(1) as usize, move || {
            drop(lock_slot(&held).runner.take())
        })?;
        Ok(MsRunner { slot, owner })
    }

    /// Throws unless a build may start: LITE_BUSY while one runs, LITE_INVALID_ARGUMENT once
    /// built, LITE_DISPOSED after dispose.
    #[napi]
    pub fn check_buildable(&self) -> Result<()> {
        let s = lock_slot(&self.slot);
        if s.disposed {
            return Err(disposed("ModelParallelRunner"));
        }
        if s.building {
            return Err(runner_building());
        }
        if s.runner.is_some() {
            return Err(crate::error::invalid(RUNNER_BUILT));
        }
        Ok(())
    }

    /// Builds the runner from a file (blocking). With `batching`, the model is checked to be
    /// batchable (probe runs at batch 1 and 2) and the requests are batched.
    #[napi]
    pub fn build_from_file(
        &self,
        env: Env,
        path: String,
        options: MsBuildOptions,
        batching: Option<MsBatching>,
    ) -> Result<()> {
        self.check_buildable()?;
        let batching = batching.map(MsBatching::to_lanes).transpose()?;
        let r = self.owner.external.measured_load(
            0,
            crate::external::file_size(Path::new(&path)),
            || build_runner(Path::new(&path), &options.into(), batching.is_some()),
        );
        self.owner.external.report(&env);
        let runner = r.js()?;
        if let Some(b) = batching {
            self.owner.lanes.set_batching(b);
        }
        lock_slot(&self.slot).runner = Some(Arc::new(runner));
        Ok(())
    }

    /// Builds the runner from a file on a runner thread (requests are LITE_BUSY meanwhile).
    #[napi(ts_return_type = "Promise<MsOutcome>")]
    pub fn build_from_file_async<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: MsBuildOptions,
        batching: Option<MsBatching>,
    ) -> Result<Object<'env>> {
        self.check_buildable()?;
        let batching = batching.map(MsBatching::to_lanes).transpose()?;
        lock_slot(&self.slot).building = true;
        let options: BuildOptions = options.into();
        let slot = self.slot.clone();
        let external = self.owner.external.clone();
        let lanes = Arc::downgrade(&self.owner.lanes);
        let work: Work = Box::new(move || {
            let path = PathBuf::from(path);
            let r = external.measured_load(0, crate::external::file_size(&path), || {
                build_runner(&path, &options, batching.is_some())
            });
            let mut s = lock_slot(&slot);
            s.building = false;
            let runner = r.map_err(NativeFailure::from)?;
            if let (Some(b), Some(lanes)) = (batching, lanes.upgrade()) {
                lanes.set_batching(b);
            }
            if !s.disposed {
                s.runner = Some(Arc::new(runner));
            }
            Ok(Done::default())
        });
        let slot = self.slot.clone();
        let promise = Job::submit(
            env,
            &self.owner.lanes,
            &self.owner.external,
            "ModelParallelRunner",
            work,
        );
        if self.owner.lanes.closed() {
            lock_slot(&slot).building = false;
        }
        promise
    }

    fn runner(&self) -> Result<Arc<Runner>> {
        let s = lock_slot(&self.slot);
        if s.disposed {
            return Err(disposed("ModelParallelRunner"));
        }
        if s.building {
            return Err(runner_building());
        }
        s.runner
            .clone()
            .ok_or_else(|| crate::error::invalid(RUNNER_NOT_BUILT))
    }

    /// Native memory of the engine runner as reported to V8 (an estimate, in bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.owner.external.estimate() as f64
    }

    /// Requests waiting for a runner thread.
    #[napi(getter)]
    pub fn queued(&self) -> u32 {
        u32::try_from(self.owner.lanes.queued()).unwrap_or(u32::MAX)
    }

    /// With batching on: the engine calls made so far and the requests they served.
    #[napi(getter)]
    pub fn batch_counts(&self) -> Option<MsBatchCounts> {
        self.owner.lanes.batching()?;
        Some(self.owner.lanes.counts().into())
    }

    /// Takes a request still waiting in the queue out of it (its promise settles with a
    /// failure the caller ignores); a running request finishes. Returns whether it was queued.
    #[napi]
    pub fn withdraw(&self, ticket: u32) -> bool {
        self.owner.lanes.withdraw(ticket, || NativeFailure {
            code: "LITE_ERROR".into(),
            message: "the request was aborted while it waited".into(),
            engine_message: None,
        })
    }

    /// Input descriptions.
    #[napi]
    pub fn inputs(&self) -> Result<Vec<MsTensorData>> {
        let r = self.runner()?;
        Ok(to_js_tensors(
            r.inputs()
                .iter()
                .cloned()
                .map(|info| TensorData { info, data: None })
                .collect(),
        ))
    }

    /// Output descriptions.
    #[napi]
    pub fn outputs(&self) -> Result<Vec<MsTensorData>> {
        let r = self.runner()?;
        Ok(to_js_tensors(
            r.outputs()
                .iter()
                .cloned()
                .map(|info| TensorData { info, data: None })
                .collect(),
        ))
    }

    /// Queues one request (inputs checked and copied now); requests run concurrently, up to the
    /// width, and a batching runner stacks the ones that can join. `ticket` lets
    /// [`MsRunner::withdraw`] take it out of the queue.
    #[napi(ts_return_type = "Promise<MsOutcome>")]
    pub fn predict_async<'env>(
        &self,
        env: &'env Env,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8ArraySlice<'_>>,
        ticket: Option<u32>,
    ) -> Result<Object<'env>> {
        let runner = self.runner()?;
        // A bad feed fails its own call, before it could join (and fail) a batch.
        runner.check_inputs(&feeds(&shapes, &data)?).js()?;
        let owned: Vec<Vec<u8>> = data.iter().map(|d| d.to_vec()).collect();
        let (done, promise) = Deferred::new(env).map_err(crate::error::from_napi)?;
        let job = RunnerPredict {
            runner,
            rows: Rows::new(shapes, owned),
            ticket,
            result: None,
            done,
            external: self.owner.external.clone(),
        };
        self.owner
            .lanes
            .submit(Box::new(job), || disposed_failure("ModelParallelRunner"));
        Ok(promise)
    }

    /// Disposes the runner: requests still waiting reject with LITE_DISPOSED, running ones
    /// finish (they hold the engine runner, which is freed after the last). Idempotent.
    #[napi]
    pub fn dispose(&self, env: Env) {
        {
            let mut s = lock_slot(&self.slot);
            if s.disposed {
                return;
            }
            s.disposed = true;
            s.runner = None;
        }
        self.owner.lanes.close(Some(NativeFailure {
            code: "LITE_DISPOSED".into(),
            message: "the ModelParallelRunner was disposed while the request waited for a worker"
                .into(),
            engine_message: None,
        }));
        self.owner.external.release(&env);
    }
}
