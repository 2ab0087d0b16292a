//! MindSpore Lite: `MsModel` and `MsRunner`, the JS faces of `mindspore::Model` and
//! `mindspore::Runner` (used by `@lite/mindspore`). Nothing here touches the runtime until
//! `loadMindsporeRuntime` or a build is called, so MegEngine users never load it.

use crate::error::{already_ran, disposed, keep_failure, rejection, IntoJs, NativeFailure, Result};
use crate::external::External;
use mindspore::{BuildOptions, ConfigEntry, Input, Model, ModelType, Runner, TensorData};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, TryLockError};

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

/// A tensor as plain data: description and, when the engine had data, a copy of it.
#[napi(object)]
pub struct MsTensorData {
    pub name: String,
    pub dtype: i32,
    pub format: i32,
    pub shape: Vec<i64>,
    pub data_size: i64,
    pub data: Option<Buffer>,
}

fn to_js_tensors(list: Vec<TensorData>) -> Vec<MsTensorData> {
    list.into_iter()
        .map(|t| MsTensorData {
            name: t.info.name,
            dtype: t.info.dtype,
            format: t.info.format,
            shape: t.info.shape,
            data_size: i64::try_from(t.info.data_size).unwrap_or(i64::MAX),
            data: t.data.map(Buffer::from),
        })
        .collect()
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

/// Runs `f` on the model without ever blocking the JS thread (a running task means LITE_BUSY).
fn with_model<T>(
    shared: &SharedModel,
    f: impl FnOnce(&mut Option<Model>) -> Result<T>,
) -> Result<T> {
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

/// A MindSpore Lite model (one engine model; calls on it never overlap).
#[napi(custom_finalize)]
pub struct MsModel {
    shared: SharedModel,
    /// The engine model's native memory, as reported to V8.
    external: Arc<External>,
}

impl ObjectFinalize for MsModel {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.external.release(&env);
        Ok(())
    }
}

impl Default for MsModel {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl MsModel {
    /// An unbuilt model; nothing native exists until a build.
    #[napi(constructor)]
    pub fn new() -> Self {
        MsModel {
            shared: Arc::new(Mutex::new(None)),
            external: Arc::default(),
        }
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

    /// Builds from a file on the libuv pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn build_from_file_async(
        &self,
        path: String,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<AsyncTask<MsModelTask>> {
        self.build_task(ModelSource::Path(PathBuf::from(path)), model_type, options)
    }

    /// Builds from bytes (copied now) on the libuv pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn build_from_buffer_async(
        &self,
        bytes: &[u8],
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<AsyncTask<MsModelTask>> {
        self.build_task(ModelSource::Bytes(bytes.to_vec()), model_type, options)
    }

    /// Whether a build succeeded (and the model is not disposed).
    #[napi(getter)]
    pub fn built(&self) -> Result<bool> {
        with_model(&self.shared, |m| Ok(m.is_some()))
    }

    /// Input descriptions (and the data they hold, if any).
    #[napi]
    pub fn inputs(&self) -> Result<Vec<MsTensorData>> {
        with_model(&self.shared, |m| {
            Ok(to_js_tensors(built(m)?.inputs(true).js()?))
        })
    }

    /// Input descriptions as declared by the model (dynamic dims are -1).
    #[napi]
    pub fn declared_inputs(&self) -> Result<Vec<MsTensorData>> {
        with_model(&self.shared, |m| {
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
        with_model(&self.shared, |m| {
            Ok(to_js_tensors(built(m)?.outputs(true).js()?))
        })
    }

    /// Resizes every input (one shape per input).
    #[napi]
    pub fn resize(&self, shapes: Vec<Vec<i64>>) -> Result<()> {
        with_model(&self.shared, |m| built(m)?.resize(&shapes).js())
    }

    /// Runs on the given inputs (one shape + bytes per input; resized first if the shapes differ).
    #[napi]
    pub fn predict(
        &self,
        env: Env,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8Array>,
    ) -> Result<Vec<MsTensorData>> {
        let inputs = feeds(&shapes, &data)?;
        let external = &self.external;
        let out = with_model(&self.shared, |m| {
            let model = built(m)?;
            Ok(to_js_tensors(
                external.measured_run(|| model.predict(&inputs)).js()?,
            ))
        });
        external.report(&env);
        out
    }

    /// Native memory of the engine model as reported to V8 (an estimate, in bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.external.estimate() as f64
    }

    /// `predict` on the libuv pool; the input bytes are copied now.
    #[napi(ts_return_type = "Promise<MsTensorData[]>")]
    pub fn predict_async(
        &self,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8Array>,
    ) -> Result<AsyncTask<MsModelTask>> {
        feeds(&shapes, &data)?;
        let owned = data.iter().map(|d| d.to_vec()).collect();
        Ok(AsyncTask::new(MsModelTask {
            shared: self.shared.clone(),
            external: self.external.clone(),
            job: Some(ModelJob::Predict(shapes, owned)),
            failure: None,
        }))
    }

    /// Frees the engine model now (LITE_BUSY while an async call runs).
    #[napi]
    pub fn dispose(&self, env: Env) -> Result<()> {
        with_model(&self.shared, |m| {
            m.take();
            Ok(())
        })?;
        self.external.release(&env);
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
        let external = &self.external;
        let r = with_model(&self.shared, |slot| {
            external
                .measured_load(0, source.size(), || {
                    build_into(slot, &source, ty, &options.into())
                })
                .js()
        });
        external.report(env);
        r
    }

    fn build_task(
        &self,
        source: ModelSource,
        model_type: u32,
        options: MsBuildOptions,
    ) -> Result<AsyncTask<MsModelTask>> {
        let ty = to_model_type(model_type)?;
        Ok(AsyncTask::new(MsModelTask {
            shared: self.shared.clone(),
            external: self.external.clone(),
            job: Some(ModelJob::Build(source, ty, options.into())),
            failure: None,
        }))
    }
}

fn feeds<'a>(shapes: &'a [Vec<i64>], data: &'a [Uint8Array]) -> Result<Vec<Input<'a>>> {
    if shapes.len() != data.len() {
        return Err(crate::error::invalid(format!(
            "{} shapes for {} data buffers",
            shapes.len(),
            data.len()
        )));
    }
    Ok(shapes
        .iter()
        .zip(data)
        .map(|(s, d)| Input { shape: s, data: d })
        .collect())
}

/// What an async task does with the model.
pub enum ModelJob {
    /// Build from a source.
    Build(ModelSource, ModelType, BuildOptions),
    /// Predict on owned inputs.
    Predict(Vec<Vec<i64>>, Vec<Vec<u8>>),
}

/// Runs a [`ModelJob`] on the libuv pool.
pub struct MsModelTask {
    shared: SharedModel,
    external: Arc<External>,
    job: Option<ModelJob>,
    failure: Option<NativeFailure>,
}

impl Task for MsModelTask {
    type Output = Option<Vec<TensorData>>;
    type JsValue = Option<Vec<MsTensorData>>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let failure = &mut self.failure;
        let job = self.job.take().ok_or_else(|| already_ran(failure))?;
        // The JS thread never blocks on this lock (it only try_locks), so waiting here is safe.
        let mut slot = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        match job {
            ModelJob::Build(source, ty, options) => {
                let external = &self.external;
                external
                    .measured_load(0, source.size(), || {
                        build_into(&mut slot, &source, ty, &options)
                    })
                    .map_err(|e| keep_failure(failure, e))?;
                Ok(None)
            }
            ModelJob::Predict(shapes, data) => {
                let model = slot.as_mut().ok_or_else(|| {
                    keep_failure(failure, mindspore::LiteError::invalid(NOT_BUILT))
                })?;
                let inputs: Vec<Input<'_>> = shapes
                    .iter()
                    .zip(&data)
                    .map(|(s, d)| Input { shape: s, data: d })
                    .collect();
                self.external
                    .measured_run(|| model.predict(&inputs))
                    .map(Some)
                    .map_err(|e| keep_failure(failure, e))
            }
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        self.external.report(&env);
        Ok(output.map(to_js_tensors))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        self.external.report(&env);
        Err(rejection(&env, &mut self.failure, err))
    }
}

/// A `ModelParallelRunner`: predicts run concurrently on its workers.
#[napi(custom_finalize)]
pub struct MsRunner {
    runner: Arc<Mutex<Option<Arc<Runner>>>>,
    /// The engine runner's native memory, as reported to V8.
    external: Arc<External>,
}

impl ObjectFinalize for MsRunner {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.external.release(&env);
        Ok(())
    }
}

fn runner_of(shared: &Mutex<Option<Arc<Runner>>>) -> Result<Arc<Runner>> {
    let guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    guard.clone().ok_or_else(|| disposed("ModelParallelRunner"))
}

#[napi]
impl MsRunner {
    /// Builds a runner from a file (blocking).
    #[napi(factory)]
    pub fn from_file(env: Env, path: String, options: MsBuildOptions) -> Result<MsRunner> {
        let external = Arc::new(External::default());
        let r = external
            .measured_load(0, crate::external::file_size(Path::new(&path)), || {
                Runner::from_file(Path::new(&path), &options.into())
            })
            .js()?;
        external.report(&env);
        Ok(MsRunner {
            runner: Arc::new(Mutex::new(Some(Arc::new(r)))),
            external,
        })
    }

    /// Native memory of the engine runner as reported to V8 (an estimate, in bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.external.estimate() as f64
    }

    /// Input descriptions.
    #[napi]
    pub fn inputs(&self) -> Result<Vec<MsTensorData>> {
        let r = runner_of(&self.runner)?;
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
        let r = runner_of(&self.runner)?;
        Ok(to_js_tensors(
            r.outputs()
                .iter()
                .cloned()
                .map(|info| TensorData { info, data: None })
                .collect(),
        ))
    }

    /// One request on the libuv pool (inputs copied now); requests run concurrently.
    #[napi(ts_return_type = "Promise<MsTensorData[]>")]
    pub fn predict_async(
        &self,
        shapes: Vec<Vec<i64>>,
        data: Vec<Uint8Array>,
    ) -> Result<AsyncTask<MsRunnerTask>> {
        feeds(&shapes, &data)?;
        let runner = runner_of(&self.runner)?;
        Ok(AsyncTask::new(MsRunnerTask {
            runner,
            shapes,
            data: data.iter().map(|d| d.to_vec()).collect(),
            failure: None,
        }))
    }

    /// Drops the JS handle's reference; the engine runner is freed when no request uses it.
    #[napi]
    pub fn dispose(&self, env: Env) {
        self.runner.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.external.release(&env);
    }
}

/// One runner request on the libuv pool; holds the runner alive until it finishes.
pub struct MsRunnerTask {
    runner: Arc<Runner>,
    shapes: Vec<Vec<i64>>,
    data: Vec<Vec<u8>>,
    failure: Option<NativeFailure>,
}

impl Task for MsRunnerTask {
    type Output = Vec<TensorData>;
    type JsValue = Vec<MsTensorData>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let inputs: Vec<Input<'_>> = self
            .shapes
            .iter()
            .zip(&self.data)
            .map(|(s, d)| Input { shape: s, data: d })
            .collect();
        let failure = &mut self.failure;
        self.runner
            .predict(&inputs)
            .map_err(|e| keep_failure(failure, e))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(to_js_tensors(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        Err(rejection(&env, &mut self.failure, err))
    }
}
