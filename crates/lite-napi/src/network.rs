//! `NativeNetwork`: the JS face of `lite::Network`, with async load/forward on the libuv pool.

use crate::error::{disposed, invalid, Code, IntoJs, Result};
use crate::tensor::{NativeLayout, NativeTensor};
use lite::{
    AlgoSelectStrategy, Backend, Config, DeviceType, ExtraConfig, Io, IoType, Network, NetworkIo,
    Options, TensorPhase,
};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::ThreadId;

/// Graph options as plain data (every field of C `LiteOptions`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeOptions {
    pub weight_preprocess: bool,
    pub fuse_preprocess: bool,
    pub fake_next_exec: bool,
    pub var_sanity_check_first_run: bool,
    pub const_shape: bool,
    pub force_dynamic_alloc: bool,
    pub force_output_dynamic_alloc: bool,
    pub force_output_use_user_specified_memory: bool,
    pub no_profiling_on_shape_change: bool,
    pub jit_level: i32,
    pub comp_node_seq_record_level: i32,
    pub graph_opt_level: i32,
    pub async_exec_level: i32,
    pub enable_nchw44: bool,
    pub enable_nchw44_dot: bool,
    pub enable_nchw88: bool,
    pub enable_nhwcd4: bool,
    pub enable_nchw4: bool,
    pub enable_nchw32: bool,
    pub enable_nchw64: bool,
}

impl From<NativeOptions> for Options {
    fn from(o: NativeOptions) -> Options {
        Options {
            weight_preprocess: o.weight_preprocess,
            fuse_preprocess: o.fuse_preprocess,
            fake_next_exec: o.fake_next_exec,
            var_sanity_check_first_run: o.var_sanity_check_first_run,
            const_shape: o.const_shape,
            force_dynamic_alloc: o.force_dynamic_alloc,
            force_output_dynamic_alloc: o.force_output_dynamic_alloc,
            force_output_use_user_specified_memory: o.force_output_use_user_specified_memory,
            no_profiling_on_shape_change: o.no_profiling_on_shape_change,
            jit_level: o.jit_level,
            comp_node_seq_record_level: o.comp_node_seq_record_level,
            graph_opt_level: o.graph_opt_level,
            async_exec_level: o.async_exec_level,
            enable_nchw44: o.enable_nchw44,
            enable_nchw44_dot: o.enable_nchw44_dot,
            enable_nchw88: o.enable_nchw88,
            enable_nhwcd4: o.enable_nhwcd4,
            enable_nchw4: o.enable_nchw4,
            enable_nchw32: o.enable_nchw32,
            enable_nchw64: o.enable_nchw64,
        }
    }
}

/// Network configuration as plain data (C `LiteConfig`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeConfig {
    pub has_compression: bool,
    pub device_id: i32,
    pub device_type: i32,
    pub backend: i32,
    pub bare_model_cryption_name: String,
    pub options: NativeOptions,
    pub auto_optimize_inference: bool,
    pub discrete_input_name: String,
}

impl NativeConfig {
    pub(crate) fn to_lite(&self) -> Result<Config> {
        Ok(Config {
            has_compression: self.has_compression,
            device_id: self.device_id,
            device_type: DeviceType::from_c(self.device_type).js()?,
            backend: Backend::from_c(self.backend).js()?,
            bare_model_cryption_name: self.bare_model_cryption_name.clone(),
            options: self.options.clone().into(),
            auto_optimize_inference: self.auto_optimize_inference,
            discrete_input_name: self.discrete_input_name.clone(),
        })
    }
}

/// One IO as plain data (C `LiteIO`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeIo {
    pub name: String,
    pub is_host: bool,
    pub io_type: i32,
    pub config_layout: NativeLayout,
}

/// Inputs and outputs as plain data (C `LiteNetworkIO`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeNetworkIo {
    pub inputs: Vec<NativeIo>,
    pub outputs: Vec<NativeIo>,
}

fn io_to_lite(io: &NativeIo) -> Result<Io> {
    Ok(Io {
        name: io.name.clone(),
        is_host: io.is_host,
        io_type: IoType::from_c(io.io_type).js()?,
        config_layout: io.config_layout.to_lite()?,
    })
}

fn io_from_lite(io: &Io) -> Result<NativeIo> {
    Ok(NativeIo {
        name: io.name.clone(),
        is_host: io.is_host,
        io_type: io.io_type.as_c(),
        config_layout: NativeLayout::from_lite(&io.config_layout)?,
    })
}

impl NativeNetworkIo {
    pub(crate) fn to_lite(&self) -> Result<NetworkIo> {
        Ok(NetworkIo {
            inputs: self.inputs.iter().map(io_to_lite).collect::<Result<_>>()?,
            outputs: self.outputs.iter().map(io_to_lite).collect::<Result<_>>()?,
        })
    }

    pub(crate) fn from_lite(io: &NetworkIo) -> Result<NativeNetworkIo> {
        Ok(NativeNetworkIo {
            inputs: io.inputs.iter().map(io_from_lite).collect::<Result<_>>()?,
            outputs: io.outputs.iter().map(io_from_lite).collect::<Result<_>>()?,
        })
    }
}

/// The network behind a mutex: the JS thread only ever `try_lock`s it, so a call made while an
/// async load/forward holds it fails with `LITE_BUSY` instead of blocking the event loop.
type Shared = Arc<Mutex<Option<Network>>>;

fn busy() -> Error<Code> {
    Error::new(
        Code("LITE_BUSY"),
        "the network is busy with an asynchronous load or forward; await it first".to_string(),
    )
}

fn with_net<T>(shared: &Shared, f: impl FnOnce(&Network) -> Result<T>) -> Result<T> {
    let guard = match shared.try_lock() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) => return Err(busy()),
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
    };
    match guard.as_ref() {
        Some(n) => f(n),
        None => Err(disposed("LiteNetwork")),
    }
}

/// What an async task does with the network.
pub enum Job {
    LoadPath(PathBuf),
    LoadBytes(Vec<u8>),
    ForwardWait,
}

/// Runs a [`Job`] on the libuv pool.
pub struct NetworkTask {
    shared: Shared,
    job: Option<Job>,
}

impl Task for NetworkTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let job = self
            .job
            .take()
            .ok_or_else(|| napi::Error::from_reason("task already ran"))?;
        let run = |net: &Network| -> lite::Result<()> {
            match &job {
                Job::LoadPath(p) => net.load_from_path(p),
                Job::LoadBytes(b) => net.load_from_mem(b),
                Job::ForwardWait => {
                    net.forward()?;
                    net.wait()
                }
            }
        };
        // The JS thread never blocks on this lock (it only try_locks), so waiting here is safe.
        let guard = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        let net = guard.as_ref().ok_or_else(|| {
            napi::Error::new(napi::Status::GenericFailure, "the LiteNetwork was disposed")
        })?;
        run(net).map_err(|e| {
            napi::Error::new(
                napi::Status::GenericFailure,
                format!("{}\u{1}{}", e.code.as_str(), e.message),
            )
        })
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Which network callback fired.
const CB_ASYNC: u32 = 0;
const CB_START: u32 = 1;
const CB_FINISH: u32 = 2;

/// The one argument handed to the JS dispatcher.
type CbArgs = PendingCallback;

/// The JS dispatcher as a weak thread-safe function (it does not keep the event loop alive).
/// The dispatcher (in `@lite/core`) never throws: it catches the user's error and keeps it.
type Dispatcher = ThreadsafeFunction<CbArgs, (), CbArgs, Status, false, true>;

/// The JS dispatcher: called directly on the JS thread, through the thread-safe function from
/// any other thread.
struct JsDispatch {
    direct: FunctionRef<CbArgs, ()>,
    tsfn: Dispatcher,
}

impl JsDispatch {
    fn new(dispatch: Function<'_, CbArgs, ()>) -> Result<JsDispatch> {
        let direct = dispatch.create_ref().map_err(crate::error::from_napi)?;
        let tsfn = dispatch
            .build_threadsafe_function::<CbArgs>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx| Ok(ctx.value))
            .map_err(crate::error::from_napi)?;
        Ok(JsDispatch { direct, tsfn })
    }
}

/// A callback that fired on the JS thread, waiting to be dispatched when the sync call returns.
#[napi(object, object_from_js = false)]
pub struct PendingCallback {
    pub kind: u32,
    pub ios: Vec<NativeIo>,
    pub tensors: Vec<NativeTensor>,
}

fn pending(kind: u32, ios: Vec<NativeIo>, tensors: Vec<NativeTensor>) -> PendingCallback {
    PendingCallback { kind, ios, tensors }
}

thread_local! {
    // Set while a sync forward()/wait() called from JS runs on this thread: a start/finish
    // callback firing inside it may call JS directly (the env is live, JS is on the stack).
    static IN_SYNC_CALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as inside a sync call from JS for its lifetime.
struct SyncCall(bool);

impl SyncCall {
    fn enter() -> SyncCall {
        SyncCall(IN_SYNC_CALL.with(|c| c.replace(true)))
    }
}

impl Drop for SyncCall {
    fn drop(&mut self) {
        IN_SYNC_CALL.with(|c| c.set(self.0));
    }
}

/// Callback delivery state shared by the engine-side closures and the `NativeNetwork`.
struct CbState {
    /// The JS thread that owns the network (the main thread or a worker's thread).
    js_thread: ThreadId,
    /// The `napi_env` of `js_thread`, as an address (only used on that thread).
    env: usize,
    /// Calls that fired on the JS thread outside a sync call from JS (e.g. while a dropped
    /// network waits for its run): JS cannot be called from there, so they are queued.
    pending: Mutex<Vec<PendingCallback>>,
}

/// The callback's tensors for JS: the network's live IO tensors (another handle each). A
/// tensor that is no network's (lent while the network is being destroyed) is copied.
fn callback_entries(entries: &[lite::CallbackIo]) -> (Vec<NativeIo>, Vec<NativeTensor>) {
    let mut ios = Vec::with_capacity(entries.len());
    let mut tensors = Vec::with_capacity(entries.len());
    for e in entries {
        let Ok(io) = io_from_lite(&e.io) else {
            continue;
        };
        let tensor = match e.tensor.network_handle() {
            Some(live) => Ok(live),
            None => e
                .tensor
                .layout()
                .and_then(|l| Ok((l, e.tensor.to_host_bytes()?)))
                .and_then(|(l, bytes)| lite::Tensor::from_host_bytes(&l, &bytes)),
        };
        if let Ok(t) = tensor {
            ios.push(io);
            tensors.push(NativeTensor::wrap(t));
        }
    }
    (ios, tensors)
}

/// Delivers one callback. On the JS thread inside a sync call from JS it calls JS directly;
/// elsewhere on the JS thread it is queued; from other threads it goes through the
/// thread-safe function. `block` makes the engine thread wait until JS has run the callback
/// (start/finish), so the engine stays paused while JS uses the tensors.
fn deliver(state: &CbState, js: &JsDispatch, args: CbArgs, block: bool) {
    if std::thread::current().id() == state.js_thread {
        if block && IN_SYNC_CALL.with(|c| c.get()) {
            // We are on the env's thread inside a native call made from JS, so the env is
            // live; the dispatcher never throws (a failure to call is ignored like one).
            let env = Env::from_raw(state.env as napi::sys::napi_env);
            let _ = js.direct.borrow_back(&env).and_then(|f| f.call(args));
            return;
        }
        state
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(args);
        return;
    }
    if !block {
        js.tsfn.call(args, ThreadsafeFunctionCallMode::NonBlocking);
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let status = js.tsfn.call_with_return_value(
        args,
        ThreadsafeFunctionCallMode::Blocking,
        move |_r: napi::Result<()>, _env| {
            let _ = tx.send(());
            Ok(())
        },
    );
    if status == Status::Ok {
        // Returns when JS ran the callback, or when the queued call is dropped because the
        // environment is shutting down (the sender goes with it).
        let _ = rx.recv();
    }
}

/// A MegEngine Lite network (internal; use `LiteNetwork` from `@lite/core`).
#[napi]
pub struct NativeNetwork {
    shared: Shared,
    cbs: Arc<CbState>,
}

#[napi]
impl NativeNetwork {
    /// Creates a network with a config and IO description.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        config: Option<NativeConfig>,
        io: Option<NativeNetworkIo>,
    ) -> Result<Self> {
        let config = match config {
            Some(c) => c.to_lite()?,
            None => Config::default(),
        };
        let io = match io {
            Some(i) => i.to_lite()?,
            None => NetworkIo::default(),
        };
        let net = Network::new(&config, &io).js()?;
        Ok(NativeNetwork {
            shared: Arc::new(Mutex::new(Some(net))),
            cbs: Arc::new(CbState {
                js_thread: std::thread::current().id(),
                env: env.raw() as usize,
                pending: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Switches to async mode: `forward` returns at once and `dispatch({ kind: 0 })` is called
    /// on the JS thread when the work is done.
    #[napi(ts_args_type = "dispatch: (call: PendingCallback) => void")]
    pub fn set_async_callback(&self, dispatch: Function<CbArgs, ()>) -> Result<()> {
        let state = self.cbs.clone();
        let dispatch = JsDispatch::new(dispatch)?;
        with_net(&self.shared, |n| {
            n.set_async_callback(move || {
                deliver(
                    &state,
                    &dispatch,
                    pending(CB_ASYNC, Vec::new(), Vec::new()),
                    false,
                )
            })
            .js()
        })
    }

    /// Calls `dispatch({ kind: 1, ios, tensors })` (the live input tensors) at the start of
    /// each forward, while the engine waits for it.
    #[napi(ts_args_type = "dispatch: (call: PendingCallback) => void")]
    pub fn set_start_callback(&self, dispatch: Function<CbArgs, ()>) -> Result<()> {
        let state = self.cbs.clone();
        let dispatch = JsDispatch::new(dispatch)?;
        with_net(&self.shared, |n| {
            n.set_start_callback(move |entries| {
                let (ios, tensors) = callback_entries(entries);
                deliver(&state, &dispatch, pending(CB_START, ios, tensors), true)
            })
            .js()
        })
    }

    /// Calls `dispatch({ kind: 2, ios, tensors })` (the live output tensors) when each forward
    /// finished, while the engine waits for it.
    #[napi(ts_args_type = "dispatch: (call: PendingCallback) => void")]
    pub fn set_finish_callback(&self, dispatch: Function<CbArgs, ()>) -> Result<()> {
        let state = self.cbs.clone();
        let dispatch = JsDispatch::new(dispatch)?;
        with_net(&self.shared, |n| {
            n.set_finish_callback(move |entries| {
                let (ios, tensors) = callback_entries(entries);
                deliver(&state, &dispatch, pending(CB_FINISH, ios, tensors), true)
            })
            .js()
        })
    }

    /// Callbacks that fired on the JS thread during the last sync call, to dispatch now.
    #[napi]
    pub fn take_pending_callbacks(&self) -> Vec<PendingCallback> {
        std::mem::take(&mut *self.cbs.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Loads a model file (blocking).
    #[napi]
    pub fn load_path(&self, path: String) -> Result<()> {
        with_net(&self.shared, |n| {
            n.load_from_path(std::path::Path::new(&path)).js()
        })
    }

    /// Loads a model from memory (blocking; the bytes are copied).
    #[napi]
    pub fn load_bytes(&self, model: &[u8]) -> Result<()> {
        with_net(&self.shared, |n| n.load_from_mem(model).js())
    }

    /// Loads a model file on the libuv pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn load_path_async(&self, path: String) -> AsyncTask<NetworkTask> {
        AsyncTask::new(NetworkTask {
            shared: self.shared.clone(),
            job: Some(Job::LoadPath(PathBuf::from(path))),
        })
    }

    /// Loads a model from memory on the libuv pool (the bytes are copied first).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn load_bytes_async(&self, model: &[u8]) -> AsyncTask<NetworkTask> {
        AsyncTask::new(NetworkTask {
            shared: self.shared.clone(),
            job: Some(Job::LoadBytes(model.to_vec())),
        })
    }

    /// Starts inference (blocking in sync mode).
    #[napi]
    pub fn forward(&self) -> Result<()> {
        let _js = SyncCall::enter();
        with_net(&self.shared, |n| n.forward().js())
    }

    /// Waits for inference to finish.
    #[napi]
    pub fn wait(&self) -> Result<()> {
        let _js = SyncCall::enter();
        with_net(&self.shared, |n| n.wait().js())
    }

    /// Forward + wait on the libuv pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn forward_async(&self) -> AsyncTask<NetworkTask> {
        AsyncTask::new(NetworkTask {
            shared: self.shared.clone(),
            job: Some(Job::ForwardWait),
        })
    }

    /// Whether an async call currently holds the network.
    #[napi]
    pub fn is_busy(&self) -> bool {
        match self.shared.try_lock() {
            Ok(g) => g.as_ref().is_some_and(|n| n.is_busy()),
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Poisoned(_)) => false,
        }
    }

    /// An IO tensor by name and phase.
    #[napi]
    pub fn get_io_tensor(&self, name: String, phase: i32) -> Result<NativeTensor> {
        let phase = TensorPhase::from_c(phase).js()?;
        with_net(&self.shared, |n| {
            Ok(NativeTensor::wrap(n.get_io_tensor(&name, phase).js()?))
        })
    }

    /// One tensor of a discrete input.
    #[napi]
    pub fn get_discrete_tensor(
        &self,
        name: String,
        index: u32,
        phase: i32,
    ) -> Result<NativeTensor> {
        let phase = TensorPhase::from_c(phase).js()?;
        with_net(&self.shared, |n| {
            Ok(NativeTensor::wrap(
                n.get_discrete_tensor(&name, index as usize, phase).js()?,
            ))
        })
    }

    /// All input names.
    #[napi]
    pub fn input_names(&self) -> Result<Vec<String>> {
        with_net(&self.shared, |n| n.input_names().js())
    }

    /// All output names.
    #[napi]
    pub fn output_names(&self) -> Result<Vec<String>> {
        with_net(&self.shared, |n| n.output_names().js())
    }

    /// Input name by index.
    #[napi]
    pub fn input_name(&self, index: u32) -> Result<String> {
        with_net(&self.shared, |n| n.input_name(index as usize).js())
    }

    /// Output name by index.
    #[napi]
    pub fn output_name(&self, index: u32) -> Result<String> {
        with_net(&self.shared, |n| n.output_name(index as usize).js())
    }

    /// Device id.
    #[napi]
    pub fn device_id(&self) -> Result<i32> {
        with_net(&self.shared, |n| n.device_id().js())
    }

    /// Sets the device id (before load).
    #[napi]
    pub fn set_device_id(&self, id: i32) -> Result<()> {
        with_net(&self.shared, |n| n.set_device_id(id).js())
    }

    /// Stream id.
    #[napi]
    pub fn stream_id(&self) -> Result<i32> {
        with_net(&self.shared, |n| n.stream_id().js())
    }

    /// Sets the stream id (before load).
    #[napi]
    pub fn set_stream_id(&self, id: i32) -> Result<()> {
        with_net(&self.shared, |n| n.set_stream_id(id).js())
    }

    /// CPU threads.
    #[napi]
    pub fn threads_number(&self) -> Result<u32> {
        with_net(&self.shared, |n| Ok(n.threads_number().js()? as u32))
    }

    /// Sets CPU threads (before load).
    #[napi]
    pub fn set_threads_number(&self, threads: u32) -> Result<()> {
        if threads == 0 {
            return Err(invalid("threadsNumber must be at least 1"));
        }
        with_net(&self.shared, |n| {
            n.set_threads_number(threads as usize).js()
        })
    }

    /// Device type value.
    #[napi]
    pub fn device_type(&self) -> Result<i32> {
        with_net(&self.shared, |n| Ok(n.device_type().js()?.as_c()))
    }

    /// Runs CPU kernels inline on the calling thread (before load).
    #[napi]
    pub fn enable_cpu_inplace_mode(&self) -> Result<()> {
        with_net(&self.shared, |n| n.enable_cpu_inplace_mode().js())
    }

    /// Whether CPU inplace mode is on.
    #[napi]
    pub fn is_cpu_inplace_mode(&self) -> Result<bool> {
        with_net(&self.shared, |n| n.is_cpu_inplace_mode().js())
    }

    /// Uses TensorRT (CUDA builds only).
    #[napi]
    pub fn use_tensorrt(&self) -> Result<()> {
        with_net(&self.shared, |n| n.use_tensorrt().js())
    }

    /// Shares `src`'s weights (this network must not be loaded yet).
    #[napi]
    pub fn share_weights_with(&self, src: &NativeNetwork) -> Result<()> {
        if Arc::ptr_eq(&self.shared, &src.shared) {
            return Err(invalid("a network cannot share weights with itself"));
        }
        with_net(&src.shared, |s| {
            with_net(&self.shared, |n| n.share_weights_with(s).js())
        })
    }

    /// Shares `src`'s runtime memory.
    #[napi]
    pub fn share_runtime_memory_with(&self, src: &NativeNetwork) -> Result<()> {
        if Arc::ptr_eq(&self.shared, &src.shared) {
            return Err(invalid("a network cannot share runtime memory with itself"));
        }
        with_net(&src.shared, |s| {
            with_net(&self.shared, |n| n.share_runtime_memory_with(s).js())
        })
    }

    /// Writes a profile JSON after forwards.
    #[napi]
    pub fn enable_profile_performance(&self, json_path: String) -> Result<()> {
        with_net(&self.shared, |n| {
            n.enable_profile_performance(&json_path).js()
        })
    }

    /// Algorithm workspace limit in bytes (after load).
    #[napi]
    pub fn set_network_algo_workspace_limit(&self, bytes: f64) -> Result<()> {
        if !(bytes.is_finite()
            && bytes >= 0.0
            && bytes.fract() == 0.0
            && bytes <= 9_007_199_254_740_991.0)
        {
            return Err(invalid(
                "workspace limit must be a non-negative integer number of bytes",
            ));
        }
        with_net(&self.shared, |n| {
            n.set_network_algo_workspace_limit(bytes as usize).js()
        })
    }

    /// Algorithm selection policy (after load).
    #[napi]
    pub fn set_network_algo_policy(
        &self,
        strategy: u32,
        shared_batch_size: u32,
        binary_equal_between_batch: bool,
    ) -> Result<()> {
        let s = AlgoSelectStrategy::from_bits(strategy).js()?;
        with_net(&self.shared, |n| {
            n.set_network_algo_policy(s, shared_batch_size, binary_equal_between_batch)
                .js()
        })
    }

    /// Dumps IO values as text to `path` on each forward.
    #[napi]
    pub fn io_txt_dump(&self, path: String) -> Result<()> {
        with_net(&self.shared, |n| n.io_txt_dump(&path).js())
    }

    /// Dumps IO values as binary files into `dir` on each forward.
    #[napi]
    pub fn io_bin_dump(&self, dir: String) -> Result<()> {
        with_net(&self.shared, |n| n.io_bin_dump(&dir).js())
    }

    /// Writes static memory allocation info into `log_dir`.
    #[napi]
    pub fn get_static_memory_alloc_info(&self, log_dir: String) -> Result<()> {
        with_net(&self.shared, |n| {
            n.get_static_memory_alloc_info(&log_dir).js()
        })
    }

    /// Enables the global layout transform (before load).
    #[napi]
    pub fn enable_global_layout_transform(&self) -> Result<()> {
        with_net(&self.shared, |n| n.enable_global_layout_transform().js())
    }

    /// Dumps the layout-transformed model (after load).
    #[napi]
    pub fn dump_layout_transform_model(&self, path: String) -> Result<()> {
        with_net(&self.shared, |n| n.dump_layout_transform_model(&path).js())
    }

    /// Extra configuration (before load).
    #[napi]
    pub fn extra_configure(&self, disable_configure_by_model_info: bool) -> Result<()> {
        with_net(&self.shared, |n| {
            n.extra_configure(ExtraConfig {
                disable_configure_by_model_info,
            })
            .js()
        })
    }

    /// The extra info string packed with the model.
    #[napi]
    pub fn model_extra_info(&self) -> Result<String> {
        with_net(&self.shared, |n| n.model_extra_info().js())
    }

    /// The IO description the network was created with.
    #[napi]
    pub fn network_io(&self) -> Result<NativeNetworkIo> {
        with_net(&self.shared, |n| NativeNetworkIo::from_lite(n.io()))
    }

    /// Releases the network (IO tensors handed out keep it alive until they go too).
    #[napi]
    pub fn dispose(&self) -> Result<()> {
        match self.shared.try_lock() {
            Ok(mut g) => {
                g.take();
                Ok(())
            }
            Err(TryLockError::WouldBlock) => Err(busy()),
            Err(TryLockError::Poisoned(p)) => {
                p.into_inner().take();
                Ok(())
            }
        }
    }
}

/// IO info of a model file or buffer, before loading it.
#[napi]
pub fn get_model_io_info(
    model: Either<String, &[u8]>,
    config: Option<NativeConfig>,
) -> Result<NativeNetworkIo> {
    let config = match config {
        Some(c) => c.to_lite()?,
        None => Config::default(),
    };
    let io = match model {
        Either::A(path) => lite::get_model_io_info_by_path(&path, &config).js()?,
        Either::B(bytes) => lite::get_model_io_info_by_memory(bytes, &config).js()?,
    };
    NativeNetworkIo::from_lite(&io)
}
