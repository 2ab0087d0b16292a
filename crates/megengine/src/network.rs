//! Networks: model loading, forward, IO tensors, runtime settings and callbacks.

use crate::config::{cstring, CConfig, Config, ExtraConfig, Io, NetworkIo};
use crate::enums::{AlgoSelectStrategy, DeviceType, TensorPhase};
use crate::error::{api, check, LiteError, Result};
use crate::gate::Gate;
use crate::tensor::{Deps, Tensor};
use megengine_sys::{LiteIO, LiteNetwork, LiteTensor};
use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// One entry passed to a start/finish callback: the IO configuration and the tensor.
///
/// The tensor is the network's own IO tensor (as in megenginelite): the run is lent to the
/// callback, so the tensor (and [`Tensor::network_handle`]s of it) can be read and written
/// while the callback runs, fail with `Busy` once the run resumes, and are ordinary IO
/// tensors after it. Only when the network is being destroyed is it a bare handle lent for
/// the duration of the call ([`Tensor::network_handle`] is then `None`).
#[derive(Debug)]
pub struct CallbackIo {
    /// The IO configuration as the network sees it.
    pub io: Io,
    /// The input (start callback) or output (finish callback) tensor.
    pub tensor: Tensor,
}

type IoCallback = Box<dyn FnMut(&[CallbackIo]) + Send>;
type AsyncCallback = Box<dyn FnMut() + Send>;

struct AsyncSlot {
    gate: *const Gate,
    f: Mutex<AsyncCallback>,
}
// SAFETY: `gate` points into the owning NetShared, which outlives the slot (slots are
// only dropped with NetShared, after the network is destroyed); Gate is atomic.
unsafe impl Send for AsyncSlot {}

struct IoSlot {
    f: Mutex<IoCallback>,
    /// The network, to hand the callback its live IO tensors (weak: the slot is owned by it).
    net: Weak<NetShared>,
}

/// State shared by a [`Network`] and the IO tensors it handed out.
pub(crate) struct NetShared {
    /// The engine's network. Replaced by a fresh one on every reload (see [`Network::load_from_owned`]).
    raw: AtomicPtr<c_void>,
    /// Settings made through this wrapper, replayed on the fresh engine network of a reload.
    settings: Mutex<Vec<Setting>>,
    /// Whether a load was attempted (the next one is a reload).
    loaded: AtomicBool,
    /// Networks that share this one's weights: while any exists, an engine network replaced
    /// by a reload is kept (with its model bytes) instead of destroyed.
    weight_sharers: AtomicUsize,
    retired: Mutex<Vec<Retired>>,
    pub(crate) gate: Gate,
    deps: Mutex<HashMap<usize, Deps>>,
    /// Bumped by every (re)load: the runtime then replaces its IO tensor objects and frees
    /// the old ones, so handles from an older generation must never reach it again.
    generation: AtomicU64,
    /// Callback slots, kept until the network is destroyed (the runtime may still hold
    /// a pointer to a replaced one while it runs).
    slots: Mutex<Vec<Box<dyn Any + Send>>>,
    /// The bytes of the current model when it came from memory: the engine's loader reads
    /// them (also on later calls), so they live as long as the engine network that loaded them.
    model: Mutex<Option<Arc<[u8]>>>,
    async_mode: AtomicBool,
}

// SAFETY: the runtime's network object has no thread affinity; all access through a
// shared NetShared goes through `gate` (an atomic state machine) or the mutexes, and
// the handle is destroyed only once, in Drop, when no other reference exists.
unsafe impl Send for NetShared {}
// SAFETY: as above.
unsafe impl Sync for NetShared {}

impl NetShared {
    /// Current IO tensor generation (see `generation`).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called under the run gate (or an op guard) right before the runtime may replace
    /// its IO tensors: invalidates every IO tensor handle given out so far. Returns what the
    /// old IO tensors depended on (caller memory, other owners): the caller drops it once the
    /// runtime call that replaces those tensors has returned, so a reload keeps nothing of the
    /// previous model alive.
    #[must_use = "drop the old dependencies only after the runtime replaced the IO tensors"]
    fn start_new_generation(&self) -> HashMap<usize, Deps> {
        self.generation.fetch_add(1, Ordering::AcqRel);
        std::mem::take(&mut *self.deps.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn raw(&self) -> LiteNetwork {
        self.raw.load(Ordering::Acquire)
    }

    /// Before a load (under the run gate): a network that already loaded (or tried to load) a
    /// model gets a fresh engine network with every recorded setting made before the first
    /// load replayed. MegEngine Lite 1.13 builds a network's graph loader on the first load
    /// only, over that model's memory: reusing the engine network makes a reload read the
    /// first model again whatever it is given (a different model silently runs the old one)
    /// and grows memory by about 1.5 model sizes per reload (measured on ShuffleNet).
    ///
    /// `always`: a first load gets a fresh engine network too (one made with another
    /// configuration than the one the current engine network was made with).
    fn renew_for_load(&self, config: &Config, io: &NetworkIo, always: bool) -> Result<()> {
        if !self.loaded.swap(true, Ordering::AcqRel) && !always {
            return Ok(());
        }
        let api = api()?;
        let fresh = make_raw_network(api, config, io)?;
        if let Err(e) = self.replay(api, fresh, false) {
            // SAFETY: `fresh` was just made and is not shared with anything.
            let _ = unsafe { (api.LITE_destroy_network)(fresh) };
            return Err(e);
        }
        let old = self.raw.swap(fresh, Ordering::AcqRel);
        let old_model = self.model.lock().unwrap_or_else(|p| p.into_inner()).take();
        if self.weight_sharers.load(Ordering::Acquire) > 0 {
            self.retired
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((old as usize, old_model));
        } else {
            // SAFETY: the run gate is held, so no call uses `old`; IO tensor handles of it
            // belong to an older generation and never reach the runtime again.
            let _ = unsafe { (api.LITE_destroy_network)(old) };
        }
        Ok(())
    }

    /// Keeps a setting just applied, to replay it on the fresh engine network of a reload.
    fn record(&self, what: &'static str, apply: Apply) {
        let after_load = self.loaded.load(Ordering::Acquire);
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Setting {
                after_load,
                what,
                apply,
            });
    }

    /// Applies the recorded settings made before (`after_load == false`) or after the first
    /// load to `raw`.
    fn replay(&self, api: &megengine_sys::Api, raw: LiteNetwork, after_load: bool) -> Result<()> {
        let settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        for s in settings.iter().filter(|s| s.after_load == after_load) {
            check(api, (s.apply)(api, raw), s.what)?;
        }
        Ok(())
    }

    pub(crate) fn deps_of(&self, t: LiteTensor) -> Deps {
        self.deps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(t as usize))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn update_deps(&self, t: LiteTensor, f: impl FnOnce(&mut Deps)) {
        let mut m = self.deps.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(t as usize).or_default());
    }
}

impl NetShared {
    /// Block until an async run has signalled completion through the callback.
    fn wait_async_idle(&self) {
        while self.gate.is_running() {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

impl Drop for NetShared {
    fn drop(&mut self) {
        crate::LIVE_NETWORKS.fetch_sub(1, Ordering::Relaxed);
        let Ok(api) = api() else { return };
        if self.async_mode.load(Ordering::Acquire) {
            // Work may still run and will call back into our slots: let it finish.
            self.wait_async_idle();
        } else if self.gate.is_running() {
            // SAFETY: live handle; a sync forward was started and not waited for.
            let _ = unsafe { (api.LITE_wait)(self.raw()) };
        }
        // SAFETY: live handle, destroyed exactly once; no IO tensor handle survives
        // (they hold an Arc to this struct).
        let _ = unsafe { (api.LITE_destroy_network)(self.raw()) };
        for (old, _bytes) in self
            .retired
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            // SAFETY: an engine network replaced by a reload and kept for weight sharers,
            // destroyed exactly once (no network shares its weights any more: they held an
            // Arc to this struct).
            let _ = unsafe { (api.LITE_destroy_network)(old as LiteNetwork) };
        }
    }
}

/// An engine network replaced by a reload (its address) and the model bytes its loader reads.
type Retired = (usize, Option<Arc<[u8]>>);

type Apply = Box<dyn Fn(&megengine_sys::Api, LiteNetwork) -> c_int + Send>;

/// A setting made through [`Network`], kept to be replayed on the fresh engine network of a
/// reload.
struct Setting {
    /// Made after the first load (replayed after the reload's load, else before it).
    after_load: bool,
    what: &'static str,
    apply: Apply,
}

/// A MegEngine Lite network.
///
/// `Send` but not `Sync`: the runtime's network object is not tied to the thread that
/// created it, so a network may be moved to a worker thread (e.g. to run `forward` on
/// the libuv pool), but it must be used from one thread at a time. IO tensors obtained
/// from it keep it alive and are guarded: while `forward`/`load_*` run, operations on
/// them (and on the network) fail with `LITE_BUSY` instead of racing.
pub struct Network {
    shared: Arc<NetShared>,
    config: Config,
    io: NetworkIo,
    _not_sync: PhantomData<Cell<()>>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("config", &self.config)
            .field("io", &self.io)
            .finish()
    }
}

fn copy_cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: callers pass pointers the runtime returned as NUL-terminated strings that
    // stay valid while the network gate is held.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

unsafe extern "C" fn async_trampoline(user_data: *mut c_void) -> c_int {
    if user_data.is_null() {
        return 0;
    }
    // SAFETY: user_data is the address of an AsyncSlot owned by NetShared, alive until
    // the network is destroyed (which waits for running work first).
    let slot = unsafe { &*(user_data as *const AsyncSlot) };
    // SAFETY: the gate lives in the same NetShared as the slot. NetShared is not
    // destroyed while the gate reports a run (RUN or FINISHING), and this callback keeps
    // it FINISHING until its very last access to the slot.
    let gate = unsafe { &*slot.gate };
    gate.begin_finish();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Ok(mut f) = slot.f.lock() {
            f();
        }
    }));
    gate.end_finish();
    0
}

unsafe extern "C" fn io_trampoline(
    ios: *const LiteIO,
    tensors: *const LiteTensor,
    size: usize,
    user_data: *mut c_void,
) -> c_int {
    if user_data.is_null() {
        return 0;
    }
    // SAFETY: user_data is the address of an IoSlot owned by NetShared (see above).
    let slot = unsafe { &*(user_data as *const IoSlot) };
    // The network's own IO tensors (the runtime passes the same handles as
    // LITE_get_io_tensor), gated like any other: the run is lent to the callback while it runs.
    let net = slot.net.upgrade();
    let lent = net.as_ref().is_some_and(|n| n.gate.lend());
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let mut entries = Vec::with_capacity(size);
        if size > 0 && !ios.is_null() && !tensors.is_null() {
            // SAFETY: the runtime passes `size` LiteIO entries and `size` tensor handles,
            // valid for the duration of this call.
            let (ios, tensors) = unsafe {
                (
                    std::slice::from_raw_parts(ios, size),
                    std::slice::from_raw_parts(tensors, size),
                )
            };
            for (io, &t) in ios.iter().zip(tensors) {
                // SAFETY: io.name is a valid C string owned by the runtime for this call.
                if let Ok(io) = unsafe { Io::from_c(io) } {
                    let tensor = match &net {
                        Some(n) if lent => Tensor::from_network(t, n.clone()),
                        _ => Tensor::lent(t),
                    };
                    entries.push(CallbackIo { io, tensor });
                }
            }
        }
        if let Ok(mut f) = slot.f.lock() {
            f(&entries);
        }
    }));
    if lent {
        if let Some(n) = &net {
            n.gate.unlend();
        }
    }
    0
}

/// A new engine network (`LITE_make_network`).
fn make_raw_network(
    api: &megengine_sys::Api,
    config: &Config,
    io: &NetworkIo,
) -> Result<LiteNetwork> {
    let c: CConfig = config.to_c()?;
    let cio = io.to_c()?;
    let mut raw: LiteNetwork = std::ptr::null_mut();
    // SAFETY: `c.raw`/`cio.raw` point to strings and arrays owned by `c`/`cio`, alive during
    // the call (the runtime copies them); `raw` is a valid out-pointer.
    let rc = unsafe { (api.LITE_make_network)(&mut raw, c.raw, cio.raw) };
    check(api, rc, "LITE_make_network")?;
    Ok(raw)
}

impl Network {
    /// Create a network from a configuration and IO description.
    pub fn new(config: &Config, io: &NetworkIo) -> Result<Network> {
        let raw = make_raw_network(api()?, config, io)?;
        crate::LIVE_NETWORKS.fetch_add(1, Ordering::Relaxed);
        Ok(Network {
            shared: Arc::new(NetShared {
                raw: AtomicPtr::new(raw),
                settings: Mutex::new(Vec::new()),
                loaded: AtomicBool::new(false),
                weight_sharers: AtomicUsize::new(0),
                retired: Mutex::new(Vec::new()),
                gate: Gate::default(),
                deps: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
                slots: Mutex::new(Vec::new()),
                model: Mutex::new(None),
                async_mode: AtomicBool::new(false),
            }),
            config: config.clone(),
            io: io.clone(),
            _not_sync: PhantomData,
        })
    }

    /// A network with the default configuration and IO.
    pub fn with_defaults() -> Result<Network> {
        Network::new(&Config::default(), &NetworkIo::default())
    }

    /// The configuration this network was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The IO description this network was created with.
    pub fn io(&self) -> &NetworkIo {
        &self.io
    }

    fn raw(&self) -> LiteNetwork {
        self.shared.raw()
    }

    /// Run a short C call under the gate and check its return code.
    fn call(
        &self,
        what: &str,
        f: impl FnOnce(&megengine_sys::Api, LiteNetwork) -> c_int,
    ) -> Result<()> {
        let _g = self.shared.gate.op()?;
        let api = api()?;
        check(api, f(api, self.raw()), what)
    }

    /// A lasting setting: applied now, and again to the fresh engine network of a reload.
    fn setting(
        &self,
        what: &'static str,
        f: impl Fn(&megengine_sys::Api, LiteNetwork) -> c_int + Send + 'static,
    ) -> Result<()> {
        let _g = self.shared.gate.op()?;
        let api = api()?;
        check(api, f(api, self.raw()), what)?;
        self.shared.record(what, Box::new(f));
        Ok(())
    }

    /// Read one value through a lite-c getter `getter(network, &mut value)` under the gate.
    fn get<T: Default>(
        &self,
        what: &str,
        getter: impl FnOnce(&megengine_sys::Api) -> unsafe extern "C" fn(LiteNetwork, *mut T) -> c_int,
    ) -> Result<T> {
        let mut v = T::default();
        // SAFETY: live handle; `getter` names a lite-c function that writes one `T` through
        // the out-pointer, which points at `v`.
        self.call(what, |api, n| unsafe { getter(api)(n, &mut v) })?;
        Ok(v)
    }

    /// Load a model file. A reload runs on a fresh engine network (see `renew_for_load`).
    pub fn load_from_path(&self, path: &Path) -> Result<()> {
        let s = path.to_str().ok_or_else(|| {
            LiteError::invalid(format!("model path {} is not UTF-8", path.display()))
        })?;
        let c = cstring(s, "model path")?;
        if self.config.bare_model_cryption_name.is_empty() {
            check_file_structure(path)?;
        }
        let _g = self.shared.gate.run()?;
        let _old_deps = self.shared.start_new_generation();
        self.shared.renew_for_load(&self.config, &self.io, false)?;
        let api = api()?;
        // SAFETY: live handle; `c` is a valid C string alive during the call.
        let rc = unsafe { (api.LITE_load_model_from_path)(self.raw(), c.as_ptr()) };
        check(api, rc, "LITE_load_model_from_path")?;
        self.shared.replay(api, self.raw(), true)
    }

    /// Load a model from memory (the bytes are copied and kept while the engine network
    /// that loaded them lives).
    pub fn load_from_mem(&self, model: &[u8]) -> Result<()> {
        self.load_from_owned(model.into())
    }

    /// Load a model from bytes the network takes over (no copy). A reload runs on a fresh
    /// engine network (see `renew_for_load`).
    pub fn load_from_owned(&self, model: Box<[u8]>) -> Result<()> {
        self.load_owned(model, false)
    }

    /// Load a model that is already decrypted, from bytes the network takes over: this load
    /// ignores the configured `bare_model_cryption_name` (the engine network that loads it is
    /// made without it), so the engine sees a plain model. The configuration is unchanged for
    /// later loads.
    pub fn load_from_owned_decrypted(&self, model: Box<[u8]>) -> Result<()> {
        self.load_owned(model, true)
    }

    fn load_owned(&self, model: Box<[u8]>, decrypted: bool) -> Result<()> {
        if model.is_empty() {
            return Err(LiteError::invalid("model data is empty"));
        }
        let plain;
        let (config, always) = if decrypted && !self.config.bare_model_cryption_name.is_empty() {
            plain = Config {
                bare_model_cryption_name: String::new(),
                ..self.config.clone()
            };
            // The current engine network was made with the decryption name: never load
            // through it.
            (&plain, true)
        } else {
            (&self.config, false)
        };
        if config.bare_model_cryption_name.is_empty() {
            check_structure(&model)?;
        }
        let model: Arc<[u8]> = model.into();
        let ptr = model.as_ptr();
        let len = model.len();
        let _g = self.shared.gate.run()?;
        let _old_deps = self.shared.start_new_generation();
        self.shared.renew_for_load(config, &self.io, always)?;
        *self.shared.model.lock().unwrap_or_else(|p| p.into_inner()) = Some(model.clone());
        let api = api()?;
        // SAFETY: live handle; `ptr` addresses `len` bytes of an Arc'd slice held by
        // NetShared as long as this engine network; the runtime only reads it.
        let rc = unsafe { (api.LITE_load_model_from_mem)(self.raw(), ptr as *mut c_void, len) };
        check(api, rc, "LITE_load_model_from_mem")?;
        self.shared.replay(api, self.raw(), true)
    }

    /// Start the network. The network (and its IO tensors) stay busy until
    /// [`Network::wait`] returns (sync mode) or the async callback fires (async mode,
    /// after [`Network::set_async_callback`]); meanwhile other operations fail with
    /// `LITE_BUSY`.
    pub fn forward(&self) -> Result<()> {
        let g = self.shared.gate.run()?;
        let api = api()?;
        // SAFETY: live handle.
        let rc = unsafe { (api.LITE_forward)(self.raw()) };
        check(api, rc, "LITE_forward")?;
        g.disarm();
        Ok(())
    }

    /// Wait until the forward finishes (and run the finish callback).
    ///
    /// In async mode the runtime's `LITE_wait` neither waits nor is needed: it would
    /// invoke the async callback a second time, possibly while the work still runs.
    /// So here, in async mode, this blocks until the async callback has fired and does
    /// not call `LITE_wait`.
    pub fn wait(&self) -> Result<()> {
        if self.shared.async_mode.load(Ordering::Acquire) {
            self.shared.wait_async_idle();
            return Ok(());
        }
        let api = api()?;
        if self.shared.gate.is_running() {
            // SAFETY: live handle; this thread owns the run started by `forward`.
            let rc = unsafe { (api.LITE_wait)(self.raw()) };
            self.shared.gate.finish_run();
            return check(api, rc, "LITE_wait");
        }
        let _g = self.shared.gate.run()?;
        // SAFETY: live handle.
        let rc = unsafe { (api.LITE_wait)(self.raw()) };
        check(api, rc, "LITE_wait")
    }

    /// Whether a forward/load is in progress.
    pub fn is_busy(&self) -> bool {
        self.shared.gate.is_running()
    }

    /// The input/output tensor `name` (owned by the network; keeps it alive).
    pub fn get_io_tensor(&self, name: &str, phase: TensorPhase) -> Result<Tensor> {
        let c = cstring(name, "tensor name")?;
        let mut t: LiteTensor = std::ptr::null_mut();
        // SAFETY: live handle; valid C string and out-pointer.
        self.call("LITE_get_io_tensor", |api, n| unsafe {
            (api.LITE_get_io_tensor)(n, c.as_ptr(), phase.as_c(), &mut t)
        })?;
        if t.is_null() {
            return Err(LiteError::invalid(format!("no IO tensor named {name:?}")));
        }
        Ok(Tensor::from_network(t, self.shared.clone()))
    }

    /// The `index`-th tensor of the discrete input `name`.
    pub fn get_discrete_tensor(
        &self,
        name: &str,
        index: usize,
        phase: TensorPhase,
    ) -> Result<Tensor> {
        let c = cstring(name, "tensor name")?;
        let mut t: LiteTensor = std::ptr::null_mut();
        // SAFETY: live handle; valid C string and out-pointer; the runtime checks index.
        self.call("LITE_get_discrete_tensor", |api, n| unsafe {
            (api.LITE_get_discrete_tensor)(n, c.as_ptr(), index, phase.as_c(), &mut t)
        })?;
        if t.is_null() {
            return Err(LiteError::invalid(format!(
                "no discrete tensor {name:?}[{index}]"
            )));
        }
        Ok(Tensor::from_network(t, self.shared.clone()))
    }

    fn names(&self, inputs: bool) -> Result<Vec<String>> {
        let _g = self.shared.gate.op()?;
        let api = api()?;
        let f = if inputs {
            api.LITE_get_all_input_name
        } else {
            api.LITE_get_all_output_name
        };
        let mut n = 0usize;
        // SAFETY: live handle; size out-pointer valid; names pointer null (count only).
        check(
            api,
            unsafe { f(self.raw(), &mut n, std::ptr::null_mut()) },
            "LITE_get_all_*_name",
        )?;
        let mut ptrs: Vec<*const c_char> = vec![std::ptr::null(); n];
        let mut n2 = 0usize;
        // SAFETY: `ptrs` has room for the `n` names just counted; the gate prevents the
        // set from changing in between.
        check(
            api,
            unsafe { f(self.raw(), &mut n2, ptrs.as_mut_ptr()) },
            "LITE_get_all_*_name",
        )?;
        if n2 != n {
            return Err(LiteError::new(
                crate::ErrorCode::LiteError,
                "the number of IO names changed while reading them",
            ));
        }
        Ok(ptrs.into_iter().map(copy_cstr).collect())
    }

    /// All input names, in model order.
    pub fn input_names(&self) -> Result<Vec<String>> {
        self.names(true)
    }

    /// All output names, in model order.
    pub fn output_names(&self) -> Result<Vec<String>> {
        self.names(false)
    }

    /// Input name at `index` (checked against the count before calling C).
    pub fn input_name(&self, index: usize) -> Result<String> {
        self.names(true)?
            .into_iter()
            .nth(index)
            .ok_or_else(|| LiteError::invalid(format!("input index {index} out of range")))
    }

    /// Output name at `index` (checked against the count before calling C).
    pub fn output_name(&self, index: usize) -> Result<String> {
        self.names(false)?
            .into_iter()
            .nth(index)
            .ok_or_else(|| LiteError::invalid(format!("output index {index} out of range")))
    }

    /// Device id.
    pub fn device_id(&self) -> Result<i32> {
        self.get("LITE_get_device_id", |api| api.LITE_get_device_id)
    }

    /// Set the device id (before loading).
    pub fn set_device_id(&self, id: i32) -> Result<()> {
        // SAFETY: live handle.
        self.setting("LITE_set_device_id", move |api, n| unsafe {
            (api.LITE_set_device_id)(n, id)
        })
    }

    /// Stream id.
    pub fn stream_id(&self) -> Result<i32> {
        self.get("LITE_get_stream_id", |api| api.LITE_get_stream_id)
    }

    /// Set the stream id (before loading).
    pub fn set_stream_id(&self, id: i32) -> Result<()> {
        // SAFETY: live handle.
        self.setting("LITE_set_stream_id", move |api, n| unsafe {
            (api.LITE_set_stream_id)(n, id)
        })
    }

    /// CPU worker threads.
    pub fn threads_number(&self) -> Result<usize> {
        self.get("LITE_get_cpu_threads_number", |api| {
            api.LITE_get_cpu_threads_number
        })
    }

    /// Set the CPU worker threads (before loading; must be >= 1).
    pub fn set_threads_number(&self, threads: usize) -> Result<()> {
        if threads == 0 {
            return Err(LiteError::invalid("threads number must be at least 1"));
        }
        // SAFETY: live handle.
        self.setting("LITE_set_cpu_threads_number", move |api, n| unsafe {
            (api.LITE_set_cpu_threads_number)(n, threads)
        })
    }

    /// Device type the network runs on.
    pub fn device_type(&self) -> Result<DeviceType> {
        DeviceType::from_c(self.get("LITE_get_device_type", |api| api.LITE_get_device_type)?)
    }

    /// Enable CPU inplace mode (before loading).
    pub fn enable_cpu_inplace_mode(&self) -> Result<()> {
        // SAFETY: live handle.
        self.setting("LITE_set_cpu_inplace_mode", move |api, n| unsafe {
            (api.LITE_set_cpu_inplace_mode)(n)
        })
    }

    /// Whether CPU inplace mode is on.
    pub fn is_cpu_inplace_mode(&self) -> Result<bool> {
        Ok(self.get("LITE_is_cpu_inplace_mode", |api| {
            api.LITE_is_cpu_inplace_mode
        })? != 0)
    }

    /// Use TensorRT (before loading).
    pub fn use_tensorrt(&self) -> Result<()> {
        // SAFETY: live handle.
        self.setting("LITE_use_tensorrt", move |api, n| unsafe {
            (api.LITE_use_tensorrt)(n)
        })
    }

    fn two(
        &self,
        src: &Network,
        what: &str,
        f: unsafe extern "C" fn(LiteNetwork, LiteNetwork) -> c_int,
        reloads: bool,
    ) -> Result<()> {
        if Arc::ptr_eq(&self.shared, &src.shared) {
            return Err(LiteError::invalid(format!(
                "{what}: source and destination are the same network"
            )));
        }
        let _g = self.shared.gate.op()?;
        let _g2 = src.shared.gate.try_op()?;
        let _old_deps = reloads.then(|| self.shared.start_new_generation());
        if reloads {
            self.shared.renew_for_load(&self.config, &self.io, false)?;
        }
        let api = api()?;
        // SAFETY: two distinct live handles.
        check(api, unsafe { f(self.raw(), src.raw()) }, what)
    }

    /// Load `src`'s model into this network sharing its weights.
    pub fn share_weights_with(&self, src: &Network) -> Result<()> {
        let api = api()?;
        self.two(
            src,
            "LITE_shared_weight_with_network",
            api.LITE_shared_weight_with_network,
            true,
        )?;
        // The weights now live in both; keep `src` (and with it the model bytes its loader
        // reads, and the engine networks a reload of `src` replaces) as long as this network.
        src.shared.weight_sharers.fetch_add(1, Ordering::AcqRel);
        self.shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(src.shared.clone()));
        Ok(())
    }

    /// Share runtime memory with `src` (before loading).
    pub fn share_runtime_memory_with(&self, src: &Network) -> Result<()> {
        let api = api()?;
        self.two(
            src,
            "LITE_share_runtime_memroy",
            api.LITE_share_runtime_memroy,
            false,
        )?;
        let src_shared = src.shared.clone();
        self.shared.record(
            "LITE_share_runtime_memroy",
            // SAFETY: replayed on a fresh live handle of this network with the source's
            // current live handle (the source is kept alive by this closure).
            Box::new(move |api, n| unsafe { (api.LITE_share_runtime_memroy)(n, src_shared.raw()) }),
        );
        self.shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(src.shared.clone()));
        Ok(())
    }

    fn keep_slot<T: Send + 'static>(&self, slot: Box<T>) -> *mut c_void {
        let p = &*slot as *const T as *mut c_void;
        self.shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(slot);
        p
    }

    /// Switch to async mode: `forward` returns at once and `f` runs (on a runtime
    /// thread) when the work is done. Uses `LITE_set_async_callback_with_userdata`.
    pub fn set_async_callback(&self, f: impl FnMut() + Send + 'static) -> Result<()> {
        let slot = Box::new(AsyncSlot {
            gate: &self.shared.gate as *const Gate,
            f: Mutex::new(Box::new(f)),
        });
        let ud = self.keep_slot(slot) as usize;
        self.setting(
            "LITE_set_async_callback_with_userdata",
            // SAFETY: live handle; `ud` points to a slot kept until the network is destroyed.
            move |api, n| unsafe {
                (api.LITE_set_async_callback_with_userdata)(
                    n,
                    Some(async_trampoline),
                    ud as *mut c_void,
                )
            },
        )?;
        self.shared.async_mode.store(true, Ordering::Release);
        Ok(())
    }

    /// Call `f` with the inputs before each forward.
    pub fn set_start_callback(&self, f: impl FnMut(&[CallbackIo]) + Send + 'static) -> Result<()> {
        let api = api()?;
        self.set_io_callback(
            "LITE_set_start_callback_with_userdata",
            api.LITE_set_start_callback_with_userdata,
            Box::new(f),
        )
    }

    /// Call `f` with the outputs after each forward.
    pub fn set_finish_callback(&self, f: impl FnMut(&[CallbackIo]) + Send + 'static) -> Result<()> {
        let api = api()?;
        self.set_io_callback(
            "LITE_set_finish_callback_with_userdata",
            api.LITE_set_finish_callback_with_userdata,
            Box::new(f),
        )
    }

    /// Registers `f` through a lite-c start/finish setter (same signature for both).
    fn set_io_callback(
        &self,
        what: &'static str,
        setter: unsafe extern "C" fn(
            LiteNetwork,
            megengine_sys::LiteStartCallbackWithData,
            *mut c_void,
        ) -> c_int,
        f: IoCallback,
    ) -> Result<()> {
        let ud = self.keep_slot(Box::new(IoSlot {
            f: Mutex::new(f),
            net: Arc::downgrade(&self.shared),
        })) as usize;
        // SAFETY: live handle; `ud` points to a slot kept until the network is destroyed.
        self.setting(what, move |_, n| unsafe {
            setter(n, Some(io_trampoline), ud as *mut c_void)
        })
    }

    fn with_path(
        &self,
        what: &'static str,
        path: &str,
        f: unsafe extern "C" fn(LiteNetwork, *const c_char) -> c_int,
        lasting: bool,
    ) -> Result<()> {
        let c = cstring(path, "path")?;
        // SAFETY: live handle; `c` is a valid C string alive during the call.
        let apply = move |_: &megengine_sys::Api, n: LiteNetwork| unsafe { f(n, c.as_ptr()) };
        if lasting {
            self.setting(what, apply)
        } else {
            self.call(what, apply)
        }
    }

    /// Write a profile JSON to `json_path` (before loading).
    pub fn enable_profile_performance(&self, json_path: &str) -> Result<()> {
        let api = api()?;
        self.with_path(
            "LITE_enable_profile_performance",
            json_path,
            api.LITE_enable_profile_performance,
            true,
        )
    }

    /// Limit algorithm workspace memory.
    pub fn set_network_algo_workspace_limit(&self, bytes: usize) -> Result<()> {
        // SAFETY: live handle.
        self.setting(
            "LITE_set_network_algo_workspace_limit",
            move |api, n| unsafe { (api.LITE_set_network_algo_workspace_limit)(n, bytes) },
        )
    }

    /// Algorithm selection policy plus fastrun settings, as megenginelite does it
    /// (`LITE_set_network_algo_policy` then `LITE_set_network_algo_fastrun_config`).
    pub fn set_network_algo_policy(
        &self,
        strategy: AlgoSelectStrategy,
        shared_batch_size: u32,
        binary_equal_between_batch: bool,
    ) -> Result<()> {
        let s = AlgoSelectStrategy::from_bits(strategy.bits())?;
        // SAFETY: live handle; strategy validated to the defined flags.
        self.setting("LITE_set_network_algo_policy", move |api, n| unsafe {
            (api.LITE_set_network_algo_policy)(n, s.bits() as c_int)
        })?;
        // SAFETY: live handle.
        self.setting(
            "LITE_set_network_algo_fastrun_config",
            move |api, n| unsafe {
                (api.LITE_set_network_algo_fastrun_config)(
                    n,
                    shared_batch_size,
                    binary_equal_between_batch as c_int,
                )
            },
        )
    }

    /// Dump IO values as text to `path`.
    pub fn io_txt_dump(&self, path: &str) -> Result<()> {
        let api = api()?;
        self.with_path(
            "LITE_enable_io_txt_dump",
            path,
            api.LITE_enable_io_txt_dump,
            true,
        )
    }

    /// Dump IO values as binary files into `dir`.
    pub fn io_bin_dump(&self, dir: &str) -> Result<()> {
        let api = api()?;
        self.with_path(
            "LITE_enable_io_bin_dump",
            dir,
            api.LITE_enable_io_bin_dump,
            true,
        )
    }

    /// Write static memory allocation info into `log_dir`.
    pub fn get_static_memory_alloc_info(&self, log_dir: &str) -> Result<()> {
        let api = api()?;
        self.with_path(
            "LITE_get_static_memory_alloc_info",
            log_dir,
            api.LITE_get_static_memory_alloc_info,
            false,
        )
    }

    /// Enable global layout transform (before loading).
    pub fn enable_global_layout_transform(&self) -> Result<()> {
        // SAFETY: live handle.
        self.setting(
            "LITE_enable_global_layout_transform",
            move |api, n| unsafe { (api.LITE_enable_global_layout_transform)(n) },
        )
    }

    /// Dump the layout-transformed model to `path` (after loading).
    pub fn dump_layout_transform_model(&self, path: &str) -> Result<()> {
        let api = api()?;
        self.with_path(
            "LITE_dump_layout_transform_model",
            path,
            api.LITE_dump_layout_transform_model,
            false,
        )
    }

    /// Extra configuration (before loading).
    pub fn extra_configure(&self, cfg: ExtraConfig) -> Result<()> {
        let c = megengine_sys::LiteExtraConfig {
            disable_configure_by_model_info: cfg.disable_configure_by_model_info as c_int,
        };
        // SAFETY: live handle; struct passed by value.
        self.setting("LITE_extra_configure", move |api, n| unsafe {
            (api.LITE_extra_configure)(n, c)
        })
    }

    /// The extra information (JSON text) packed with the model, if any.
    pub fn model_extra_info(&self) -> Result<String> {
        let _g = self.shared.gate.op()?;
        let api = api()?;
        let mut p: *const c_char = std::ptr::null();
        let mut len: c_int = 0;
        // SAFETY: live handle; valid out-pointers.
        let rc = unsafe { (api.LITE_get_model_extra_info)(self.raw(), &mut p, &mut len) };
        check(api, rc, "LITE_get_model_extra_info")?;
        if p.is_null() || len <= 0 {
            return Ok(String::new());
        }
        // SAFETY: the runtime returns a pointer to `len` bytes owned by the network,
        // stable while the gate is held.
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) };
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The structural check of a model before the engine's loader sees it ([`crate::check_mge`]):
/// the 1.13 loader dereferences fields its own verifier lets through, so some corrupt files
/// crash it. Encrypted models (a decryption name is set) cannot be checked and are skipped.
pub(crate) fn check_structure(bytes: &[u8]) -> Result<()> {
    crate::check_mge(bytes).map_err(|p| {
        LiteError::new(
            crate::ErrorCode::InvalidModel,
            format!("not a valid MegEngine model: {p}"),
        )
    })
}

/// [`check_structure`] of a model file (the engine reads the file itself; this read is for the
/// check only). An unreadable file is `LITE_FILE_NOT_FOUND`.
pub(crate) fn check_file_structure(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| {
        LiteError::new(
            crate::ErrorCode::FileNotFound,
            format!("cannot read the model file {}: {e}", path.display()),
        )
    })?;
    check_structure(&bytes)
}
