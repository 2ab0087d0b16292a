//! The runtime's log output, through the runtime's own level and handler functions only (no
//! symbol interposition, no file-descriptor redirection).
//!
//! MegEngine Lite 1.13 logs on two paths:
//! - `lite::print_log` (the Lite layer), written to stderr. It echoes every exception it turns
//!   into an error code (`LITE[ERR] … Lite exception: …`) at its ERROR level, and the C API has
//!   no level above ERROR nor a callback. Every such failure reaches JavaScript as a thrown
//!   `LiteError`, so at our ERROR level (the default) and at OFF the Lite layer is silenced with
//!   [`lite::silence_runtime_log`]; at DEBUG, INFO and WARN it prints its lines, echoes included,
//!   to stderr, as the user asked for them.
//! - MegBrain's logger (the engine core: graph optimisation, kernels), public functions
//!   `mgb::set_log_level` and `mgb::set_log_handler`. At ERROR without a JS handler and at OFF it
//!   is off; with a JS handler ([`set_handler`]) its lines at or above the level go to the handler
//!   instead of stderr (Linux x86-64; elsewhere they go to stderr). Handlers are per JS
//!   environment (napi instance data, [`EnvState`]): a worker's handler dies with the worker, and
//!   each environment with a handler receives the engine's (process-wide) lines.
//!
//! The fork warning of machines without a CUDA driver is turned off with the runtime's
//! `mgb::debug::set_fork_cuda_warning_flag(0)` when the runtime is loaded.

use napi::bindgen_prelude::{FnArgs, Status};
use napi::threadsafe_function::ThreadsafeFunction;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Our level: 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR (the runtime's levels), 4 OFF.
static LEVEL: AtomicI32 = AtomicI32::new(ERROR);
const ERROR: i32 = 3;

/// A JS log handler: gets `(level, line)`; weak (never keeps the process alive) and called
/// non-blocking, so engine threads never wait for JS.
pub type Handler =
    ThreadsafeFunction<(i32, String), (), FnArgs<(i32, String)>, Status, false, true>;

/// One environment's handler. The environment's instance data owns it (see [`EnvState`]); the
/// engine's callback reaches it only through a weak reference, so it dies with its environment.
pub struct Sink {
    // Called by the core's log handler, which exists on Linux x86-64 only.
    #[cfg_attr(
        not(all(target_os = "linux", target_arch = "x86_64")),
        allow(dead_code)
    )]
    handler: Handler,
}

/// The per-environment state of the binding (napi instance data): what must never live in a
/// static because it holds a JS handle. The engine's log is process-wide, so each environment
/// that set a handler receives every engine line.
#[derive(Default)]
pub struct EnvState {
    log: Option<Arc<Sink>>,
    /// The environment's promise settlement channel (see `crate::settle`).
    pub(crate) settler: Option<Arc<crate::settle::Settler>>,
}

/// The handlers' weak references, for the engine's callback (which has no environment). No JS
/// handle lives here: a dead environment leaves a weak reference that no longer upgrades.
static SINKS: Mutex<Vec<Weak<Sink>>> = Mutex::new(Vec::new());

/// The core's own handler, saved while ours is installed (`Some(None)`: it had none). Held
/// across the engine calls that change the routing, never by engine threads.
static SAVED: Mutex<Option<Option<megengine::CoreLogHandler>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Our level (0..=4).
pub fn level() -> i32 {
    LEVEL.load(Ordering::Relaxed)
}

/// Sets our level (0..=4; the caller validated it) and applies it to the runtime.
pub fn set_level(level: i32) -> megengine::Result<()> {
    LEVEL.store(level, Ordering::Relaxed);
    apply()
}

/// The calling environment's state, created on first use (its finalizer runs when the
/// environment is torn down and drops the handler with it).
pub(crate) fn env_state(env: &Env) -> napi::Result<&'static mut EnvState> {
    if let Some(state) = env.get_instance_data::<EnvState>()? {
        return Ok(state);
    }
    env.set_instance_data(EnvState::default(), (), |ctx| {
        drop(ctx.value);
        // The environment's handler is gone: route the core back to stderr if it was the last.
        let _ = refresh();
    })?;
    env.get_instance_data::<EnvState>()?
        .ok_or_else(|| napi::Error::from_reason("the binding's per-environment state is missing"))
}

/// Routes the core's lines that pass the level to this environment's `handler` instead of
/// stderr (`None`: this environment stops receiving them; stderr again once no environment has
/// a handler).
pub fn set_handler(env: &Env, handler: Option<Handler>) -> napi::Result<()> {
    let state = env_state(env)?;
    state.log = handler.map(|handler| Arc::new(Sink { handler }));
    {
        let mut sinks = lock(&SINKS);
        sinks.retain(|w| w.strong_count() > 0);
        if let Some(sink) = &state.log {
            sinks.push(Arc::downgrade(sink));
        }
    }
    refresh().map_err(|e| napi::Error::from_reason(e.message))
}

/// Whether any environment has a handler.
fn any_handler() -> bool {
    lock(&SINKS).iter().any(|w| w.strong_count() > 0)
}

/// Applies the routing when the runtime is loaded (else [`runtime_loaded`] does it later).
fn refresh() -> megengine::Result<()> {
    if lite_sys_loaded() {
        apply()
    } else {
        Ok(())
    }
}

/// Applies the level and the handler once the runtime is loaded.
pub fn runtime_loaded() -> megengine::Result<()> {
    megengine::silence_fork_warning();
    apply()
}

fn lite_sys_loaded() -> bool {
    megengine::library_path().is_some()
}

fn apply() -> megengine::Result<()> {
    let mut saved = lock(&SAVED);
    let handler = any_handler();
    let level = level();
    if level < ERROR {
        // Sets the Lite layer's and the core's levels together.
        megengine::set_log_level(megengine::LogLevel::from_c(level)?)?;
    } else {
        megengine::silence_runtime_log()?;
        let core = if level == ERROR && handler {
            ERROR
        } else {
            megengine::MGB_NO_LOG
        };
        megengine::set_core_log_level(core);
    }
    route(handler, &mut saved);
    Ok(())
}

/// Installs our core handler while a JS handler is set, and puts the core's own back after.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn route(handler: bool, saved: &mut Option<Option<megengine::CoreLogHandler>>) {
    match (handler, saved.is_some()) {
        (true, false) => {
            // SAFETY: `core_line` only formats its arguments and queues a non-blocking call.
            *saved = unsafe { megengine::set_core_log_handler(Some(core_line)) };
        }
        (false, true) => {
            if let Some(previous) = saved.take() {
                // SAFETY: the core's own handler, as it was before ours.
                unsafe { megengine::set_core_log_handler(previous) };
            }
        }
        _ => {}
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn route(_handler: bool, _saved: &mut Option<Option<megengine::CoreLogHandler>>) {}

/// Longest line handed to the JS handler (longer ones are cut).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const MAX_LINE: usize = 4096;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe extern "C" {
    fn vsnprintf(
        s: *mut std::ffi::c_char,
        n: usize,
        format: *const std::ffi::c_char,
        ap: *mut std::ffi::c_void,
    ) -> std::ffi::c_int;
}

/// The core's log handler while a JS handler is set: formats the line and queues it to JS.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe extern "C" fn core_line(
    level: i32,
    _file: *const std::ffi::c_char,
    _func: *const std::ffi::c_char,
    _line: i32,
    fmt: *const std::ffi::c_char,
    ap: *mut std::ffi::c_void,
) {
    if fmt.is_null() {
        return;
    }
    let mut buf = vec![0u8; MAX_LINE];
    // SAFETY: the core passes a printf format with its `va_list` (on x86-64 a pointer to the
    // one-element `__va_list_tag` array, which is what vsnprintf takes); vsnprintf writes at
    // most MAX_LINE bytes including the NUL.
    let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), MAX_LINE, fmt, ap) };
    if n < 0 {
        return;
    }
    let len = (n as usize).min(MAX_LINE - 1);
    let mut line = String::from_utf8_lossy(&buf[..len]).into_owned();
    while line.ends_with('\n') {
        line.pop();
    }
    let sinks: Vec<Arc<Sink>> = lock(&SINKS).iter().filter_map(Weak::upgrade).collect();
    for sink in sinks {
        sink.handler.call(
            (level, line.clone()),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}
