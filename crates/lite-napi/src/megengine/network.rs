//! `NativeNetwork`: the JS face of `lite::Network`, owned by its [`Executor`].

use crate::error::{invalid, IntoJs, Result};
use crate::megengine::executor::{Executor, Feed, NativeModelInfo, Work};
use crate::megengine::tensor::{NativeLayout, NativeTensor};
use megengine::{
    AlgoSelectStrategy, Backend, Config, DeviceType, ExtraConfig, Io, IoType, Network, NetworkIo,
    Options, TensorPhase,
};
use napi::bindgen_prelude::*;
use napi::CleanupEnvHook;
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

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

/// The IO tensors a start (inputs) or finish (outputs) callback gets: the network's live IO
/// tensors, each with its IO description (the configured one, or the defaults).
#[napi(object, object_from_js = false)]
pub struct NativeCallbackIo {
    pub ios: Vec<NativeIo>,
    pub tensors: Vec<NativeTensor>,
}

fn callback_io(net: &Network, inputs: bool, owner: &Arc<Executor>) -> Result<NativeCallbackIo> {
    let (names, phase, configured) = if inputs {
        (
            net.input_names().js()?,
            TensorPhase::Input,
            &net.io().inputs,
        )
    } else {
        (
            net.output_names().js()?,
            TensorPhase::Output,
            &net.io().outputs,
        )
    };
    let mut ios = Vec::with_capacity(names.len());
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let io = configured
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .unwrap_or_else(|| Io::new(name.clone()));
        tensors.push(NativeTensor::wrap_owned(
            net.get_io_tensor(&name, phase).js()?,
            owner,
        ));
        ios.push(io_from_lite(&io)?);
    }
    Ok(NativeCallbackIo { ios, tensors })
}

/// One input of `predict`: a private copy of the caller's data and the layout to run it with.
#[napi(object, object_to_js = false)]
pub struct NativeFeed {
    pub name: String,
    pub layout: NativeLayout,
    /// The input's bytes (copied during the call; the array is released on the JS thread).
    pub bytes: Uint8Array,
    /// The declared layout to restore after the run (when the feed changed the shape).
    pub restore: Option<NativeLayout>,
}

/// Checks and copies predict feeds (on the JS thread: the arrays are released here).
pub(crate) fn feeds_from_js(feeds: Vec<NativeFeed>) -> Result<Vec<Feed>> {
    feeds
        .into_iter()
        .map(|f| {
            let layout = f.layout.to_lite()?;
            if f.bytes.len() != layout.nbytes() {
                return Err(invalid(format!(
                    "input {:?} has {} bytes, its layout needs {}",
                    f.name,
                    f.bytes.len(),
                    layout.nbytes()
                )));
            }
            Ok(Feed {
                name: f.name,
                layout,
                bytes: f.bytes.to_vec(),
                restore: f.restore.map(|l| l.to_lite()).transpose()?,
            })
        })
        .collect()
}

/// A MegEngine Lite network (internal; use `LiteNetwork` from `@lite/core`).
///
/// Asynchronous calls return a `Promise<JobOutcome>` that never rejects: a failure is a
/// structured `failure` value. When `turn` is set, JS holds the network for a callback and
/// must give it back (`resume()` after a start turn, `endTurn()` after a finish turn).
#[napi(custom_finalize)]
pub struct NativeNetwork {
    pub(crate) exec: Arc<Executor>,
    /// Joins the executor's thread when the JS environment goes away (removed when this
    /// object is collected first).
    teardown: Option<CleanupEnvHook<Weak<Executor>>>,
}

impl Drop for NativeNetwork {
    fn drop(&mut self) {
        self.exec.close();
    }
}

impl ObjectFinalize for NativeNetwork {
    fn finalize(mut self, env: Env) -> napi::Result<()> {
        self.exec.external.release(&env);
        if let Some(hook) = self.teardown.take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        Ok(())
    }
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
        let exec = Executor::new(net);
        let teardown = env
            .add_env_cleanup_hook(Arc::downgrade(&exec), |weak| {
                if let Some(exec) = weak.upgrade() {
                    exec.shutdown();
                }
            })
            .map_err(crate::error::from_napi)?;
        Ok(NativeNetwork {
            exec,
            teardown: Some(teardown),
        })
    }

    /// Whether anything holds the network (a queued or running job, a run, a callback turn).
    #[napi]
    pub fn is_busy(&self) -> bool {
        self.exec.busy()
    }

    /// Switches the engine to async mode: `forwardInAsyncMode` then returns at once.
    #[napi]
    pub fn set_async_mode(&self) -> Result<()> {
        let done = self.exec.async_completion();
        self.exec.with_net(|n| n.set_async_callback(done).js())
    }

    /// Takes a callback turn outside a job (the callbacks of a sync forward/wait).
    #[napi]
    pub fn begin_turn(&self) -> Result<()> {
        self.exec.begin_turn()
    }

    /// Gives the network back after a callback turn.
    #[napi]
    pub fn end_turn(&self) {
        self.exec.end_turn()
    }

    /// Continues the job after its start turn; settles when its engine part is done.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn resume<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.exec.resume(env)
    }

    /// The live IO tensors for a callback (inside a turn): inputs, or outputs.
    #[napi]
    pub fn turn_io(&self, inputs: bool) -> Result<NativeCallbackIo> {
        self.exec.in_turn(|n| callback_io(n, inputs, &self.exec))
    }

    /// A host copy of every output (inside a turn), in output order.
    #[napi]
    pub fn turn_outputs(&self, env: Env) -> Result<Vec<NativeTensor>> {
        let outputs = self
            .exec
            .in_turn(|n| crate::megengine::executor::copy_outputs(n).js())?;
        for t in &outputs {
            t.report(&env);
        }
        Ok(outputs)
    }

    /// Native memory of the network as reported to V8 (an estimate, in bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.exec.external.estimate() as f64
    }

    /// The loaded model's names and declared input layouts.
    #[napi]
    pub fn model_info(&self) -> Result<NativeModelInfo> {
        self.exec
            .with_net(|n| crate::megengine::executor::model_info(n).js())
    }

    /// Loads a model file (blocking).
    #[napi]
    pub fn load_path(&self, env: Env, path: String) -> Result<()> {
        let exec = &self.exec;
        // A stale reason from an earlier load on this thread must not name this one's failure.
        crate::megengine::crypto::take_thread_failure();
        let r = exec.with_net(|n| {
            let path = std::path::Path::new(&path);
            let size = crate::external::file_size(path);
            exec.external
                .measured_load(0, size, || n.load_from_path(path))
                .js()
        });
        exec.external.report(&env);
        r
    }

    /// Loads a model from memory (blocking; the bytes are copied).
    #[napi]
    pub fn load_bytes(&self, env: Env, model: &[u8]) -> Result<()> {
        let exec = &self.exec;
        crate::megengine::crypto::take_thread_failure();
        let r = exec.with_net(|n| {
            exec.external
                .measured_load(model.len(), model.len(), || n.load_from_mem(model))
                .js()
        });
        exec.external.report(&env);
        r
    }

    /// Loads a model file on the network's thread.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn load_path_async<'env>(&self, env: &'env Env, path: String) -> Result<Object<'env>> {
        self.exec
            .submit(env, Work::LoadPath(PathBuf::from(path)), false, false)
    }

    /// Loads a model from memory on the network's thread (the bytes are copied first).
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn load_bytes_async<'env>(&self, env: &'env Env, model: &[u8]) -> Result<Object<'env>> {
        self.exec
            .submit(env, Work::LoadBytes(model.to_vec()), false, false)
    }

    /// Loads a model that the JS thread already decrypted (with a JS decryptor) on the
    /// network's thread, as a plain model: the configured decryption name does not apply to
    /// this load (the bytes are copied first).
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn load_decrypted_async<'env>(&self, env: &'env Env, model: &[u8]) -> Result<Object<'env>> {
        self.exec
            .submit(env, Work::LoadDecrypted(model.to_vec()), false, false)
    }

    /// Starts inference in sync mode (the engine may run it on its own thread until `wait`).
    #[napi]
    pub fn forward(&self, env: Env) -> Result<()> {
        let exec = &self.exec;
        let r = exec.sync_forward(|n| exec.external.measured_run(|| n.forward()).js());
        exec.external.report(&env);
        r
    }

    /// Starts inference in async mode; settles when the engine's completion callback fired.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn forward_in_async_mode<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.exec.async_forward(env, |n| n.forward().js())
    }

    /// Waits for the run started by `forward`; true when it ended a sync run (its finish
    /// callback is then due).
    #[napi]
    pub fn wait(&self) -> Result<bool> {
        self.exec.wait_run(|n| n.wait().js())
    }

    /// Drops the job parked for its start callback (the callback threw).
    #[napi]
    pub fn abandon(&self) {
        self.exec.abandon()
    }

    /// Forward + wait on the network's thread, with optional callback turns around it.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn forward_async<'env>(
        &self,
        env: &'env Env,
        start_turn: bool,
        finish_turn: bool,
    ) -> Result<Object<'env>> {
        self.exec
            .submit(env, Work::Forward, start_turn, finish_turn)
    }

    /// Sets the inputs from private copies, runs, and (without a finish turn) copies every
    /// output, all on the network's thread.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn predict<'env>(
        &self,
        env: &'env Env,
        feeds: Vec<NativeFeed>,
        start_turn: bool,
        finish_turn: bool,
    ) -> Result<Object<'env>> {
        let feeds = feeds_from_js(feeds)?;
        self.exec
            .submit(env, Work::Predict(feeds), start_turn, finish_turn)
    }

    /// An IO tensor by name and phase.
    #[napi]
    pub fn get_io_tensor(&self, name: String, phase: i32) -> Result<NativeTensor> {
        let phase = TensorPhase::from_c(phase).js()?;
        self.exec.with_net(|n| {
            Ok(NativeTensor::wrap_owned(
                n.get_io_tensor(&name, phase).js()?,
                &self.exec,
            ))
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
        self.exec.with_net(|n| {
            Ok(NativeTensor::wrap_owned(
                n.get_discrete_tensor(&name, index as usize, phase).js()?,
                &self.exec,
            ))
        })
    }

    /// Device id.
    #[napi]
    pub fn device_id(&self) -> Result<i32> {
        self.exec.with_net(|n| n.device_id().js())
    }

    /// Sets the device id (before load).
    #[napi]
    pub fn set_device_id(&self, id: i32) -> Result<()> {
        self.exec.with_net(|n| n.set_device_id(id).js())
    }

    /// Stream id.
    #[napi]
    pub fn stream_id(&self) -> Result<i32> {
        self.exec.with_net(|n| n.stream_id().js())
    }

    /// Sets the stream id (before load).
    #[napi]
    pub fn set_stream_id(&self, id: i32) -> Result<()> {
        self.exec.with_net(|n| n.set_stream_id(id).js())
    }

    /// CPU threads.
    #[napi]
    pub fn threads_number(&self) -> Result<u32> {
        self.exec.with_net(|n| Ok(n.threads_number().js()? as u32))
    }

    /// Sets CPU threads (before load).
    #[napi]
    pub fn set_threads_number(&self, threads: u32) -> Result<()> {
        if threads == 0 {
            return Err(invalid("threadsNumber must be at least 1"));
        }
        self.exec
            .with_net(|n| n.set_threads_number(threads as usize).js())
    }

    /// Device type value.
    #[napi]
    pub fn device_type(&self) -> Result<i32> {
        self.exec.with_net(|n| Ok(n.device_type().js()?.as_c()))
    }

    /// Runs CPU kernels inline on the calling thread (before load).
    #[napi]
    pub fn enable_cpu_inplace_mode(&self) -> Result<()> {
        self.exec.with_net(|n| n.enable_cpu_inplace_mode().js())
    }

    /// Whether CPU inplace mode is on.
    #[napi]
    pub fn is_cpu_inplace_mode(&self) -> Result<bool> {
        self.exec.with_net(|n| n.is_cpu_inplace_mode().js())
    }

    /// Uses TensorRT (CUDA builds only).
    #[napi]
    pub fn use_tensorrt(&self) -> Result<()> {
        self.exec.with_net(|n| n.use_tensorrt().js())
    }

    /// Shares `src`'s weights (this network must not be loaded yet).
    #[napi]
    pub fn share_weights_with(&self, src: &NativeNetwork) -> Result<()> {
        if Arc::ptr_eq(&self.exec, &src.exec) {
            return Err(invalid("a network cannot share weights with itself"));
        }
        src.exec
            .with_net(|s| self.exec.with_net(|n| n.share_weights_with(s).js()))
    }

    /// Shares `src`'s runtime memory.
    #[napi]
    pub fn share_runtime_memory_with(&self, src: &NativeNetwork) -> Result<()> {
        if Arc::ptr_eq(&self.exec, &src.exec) {
            return Err(invalid("a network cannot share runtime memory with itself"));
        }
        src.exec
            .with_net(|s| self.exec.with_net(|n| n.share_runtime_memory_with(s).js()))
    }

    /// Writes a profile JSON after forwards.
    #[napi]
    pub fn enable_profile_performance(&self, json_path: String) -> Result<()> {
        self.exec
            .with_net(|n| n.enable_profile_performance(&json_path).js())
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
        self.exec
            .with_net(|n| n.set_network_algo_workspace_limit(bytes as usize).js())
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
        self.exec.with_net(|n| {
            n.set_network_algo_policy(s, shared_batch_size, binary_equal_between_batch)
                .js()
        })
    }

    /// Dumps IO values as text to `path` on each forward.
    #[napi]
    pub fn io_txt_dump(&self, path: String) -> Result<()> {
        self.exec.with_net(|n| n.io_txt_dump(&path).js())
    }

    /// Dumps IO values as binary files into `dir` on each forward.
    #[napi]
    pub fn io_bin_dump(&self, dir: String) -> Result<()> {
        self.exec.with_net(|n| n.io_bin_dump(&dir).js())
    }

    /// Writes static memory allocation info into `log_dir`.
    #[napi]
    pub fn get_static_memory_alloc_info(&self, log_dir: String) -> Result<()> {
        self.exec
            .with_net(|n| n.get_static_memory_alloc_info(&log_dir).js())
    }

    /// Enables the global layout transform (before load).
    #[napi]
    pub fn enable_global_layout_transform(&self) -> Result<()> {
        self.exec
            .with_net(|n| n.enable_global_layout_transform().js())
    }

    /// Dumps the layout-transformed model (after load).
    #[napi]
    pub fn dump_layout_transform_model(&self, path: String) -> Result<()> {
        self.exec
            .with_net(|n| n.dump_layout_transform_model(&path).js())
    }

    /// Extra configuration (before load).
    #[napi]
    pub fn extra_configure(&self, disable_configure_by_model_info: bool) -> Result<()> {
        self.exec.with_net(|n| {
            n.extra_configure(ExtraConfig {
                disable_configure_by_model_info,
            })
            .js()
        })
    }

    /// The extra info string packed with the model.
    #[napi]
    pub fn model_extra_info(&self) -> Result<String> {
        self.exec.with_net(|n| n.model_extra_info().js())
    }

    /// The IO description the network was created with.
    #[napi]
    pub fn network_io(&self) -> Result<NativeNetworkIo> {
        self.exec.with_net(|n| NativeNetworkIo::from_lite(n.io()))
    }

    /// Releases the network: at once when idle, else after the calls already made finish (no new
    /// call is taken). IO tensors handed out keep the engine's network alive until they go too.
    #[napi]
    pub fn dispose(&self, env: Env) {
        self.exec.dispose();
        self.exec.external.release(&env);
    }
}

/// Stops and joins the threads of the networks this JS thread owns (each finishes its current
/// job). `@lite/core` calls it from the `process` `'exit'` event.
#[napi]
pub fn shutdown_network_threads() {
    crate::megengine::executor::shutdown_executors();
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
        Either::A(path) => megengine::get_model_io_info_by_path(&path, &config).js()?,
        Either::B(bytes) => megengine::get_model_io_info_by_memory(bytes, &config).js()?,
    };
    NativeNetworkIo::from_lite(&io)
}
