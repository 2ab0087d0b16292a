//! Module-level functions: runtime loading, version, log level, global settings.

use crate::error::{invalid, IntoJs, Result};
use napi::bindgen_prelude::FnArgs;
use napi::Env;
use napi_derive::napi;
use std::path::PathBuf;

/// Loads the MegEngine Lite runtime. `LITE_LIB_PATH` wins; else `path` (the library shipped in
/// the platform package); else the per-user cache. Idempotent.
#[napi]
pub fn load_runtime(path: Option<String>) -> Result<String> {
    let p = path.map(PathBuf::from);
    megengine::init(p.as_deref()).js()?;
    crate::megengine::engine_log::runtime_loaded().js()?;
    Ok(megengine::library_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default())
}

/// The runtime version as "M.m.p".
#[napi]
pub fn version() -> Result<String> {
    let (a, b, c) = megengine::version().js()?;
    Ok(format!("{a}.{b}.{c}"))
}

/// `OFF`: beyond the runtime's levels (0 DEBUG .. 3 ERROR), nothing is printed.
const LOG_OFF: i32 = 4;

/// Sets the log level: 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR (the engine's), 4 OFF.
#[napi]
pub fn set_log_level(level: i32) -> Result<()> {
    if !(0..=LOG_OFF).contains(&level) {
        return Err(invalid(format!(
            "log level must be 0 (DEBUG) .. 3 (ERROR) or 4 (OFF), got {level}"
        )));
    }
    megengine::version().js()?; // the runtime must be loaded to take the level
    crate::megengine::engine_log::set_level(level).js()
}

/// Routes the engine core's log lines that the level lets through to `handler(level, line)`
/// (called asynchronously on the JS thread) instead of stderr; `null` restores stderr. Linux
/// x86-64 only (elsewhere the core keeps writing to stderr). The Lite layer's own lines (only
/// printed at DEBUG, INFO and WARN) go to stderr: its C API offers no handler.
#[napi(ts_args_type = "handler: ((level: number, line: string) => void) | null")]
pub fn set_log_handler(
    env: Env,
    handler: Option<napi::bindgen_prelude::Function<FnArgs<(i32, String)>, ()>>,
) -> Result<()> {
    let tsfn = match handler {
        None => None,
        Some(f) => Some(
            f.build_threadsafe_function::<(i32, String)>()
                .callee_handled::<false>()
                .weak::<true>()
                .build_callback(|ctx| Ok(FnArgs::from(ctx.value)))
                .map_err(crate::error::from_napi)?,
        ),
    };
    crate::megengine::engine_log::set_handler(&env, tsfn).map_err(crate::error::from_napi)
}

/// The log level set by `set_log_level` (3, ERROR, until then).
#[napi]
pub fn get_log_level() -> Result<i32> {
    megengine::version().js()?;
    Ok(crate::megengine::engine_log::level())
}

/// Number of devices of a type.
#[napi]
pub fn get_device_count(device_type: i32) -> Result<u32> {
    let n = megengine::device_count(megengine::DeviceType::from_c(device_type).js()?).js()?;
    u32::try_from(n).map_err(|_| invalid("device count overflow"))
}

fn unsupported(message: impl Into<String>) -> napi::Error<crate::error::Code> {
    napi::Error::new(crate::error::Code("LITE_UNSUPPORTED"), message.into())
}

/// Sets the path of the library the runtime loads its device loaders from.
#[napi]
pub fn set_loader_lib_path(path: String) -> Result<()> {
    megengine::set_loader_lib_path(&path).js()
}

/// Uses a persistent algorithm cache file (created when missing).
#[napi]
pub fn set_persistent_cache(path: String, always_sync: bool) -> Result<()> {
    megengine::set_persistent_cache(&path, always_sync).js()
}

/// Writes the persistent algorithm cache to `path`.
#[napi]
pub fn dump_persistent_cache(path: String) -> Result<()> {
    megengine::dump_persistent_cache(&path).js()
}

/// Tries to merge free device memory blocks.
#[napi]
pub fn try_coalesce_all_free_memory() -> Result<()> {
    megengine::try_coalesce_all_free_memory().js()
}

/// Uses a TensorRT cache file.
#[napi]
pub fn set_tensorrt_cache(path: String) -> Result<()> {
    megengine::set_tensorrt_cache(&path).js()
}

/// Writes the TensorRT cache.
#[napi]
pub fn dump_tensorrt_cache() -> Result<()> {
    megengine::dump_tensorrt_cache().js()
}

/// Memory pairs (register/clear/lookup) map device virtual addresses to physical ones for
/// device backends (NPU/Atlas-style). They take raw device addresses, which JS must never
/// supply, and need a device of that type: this checks the request and reports why it cannot
/// be served (the safe crate has no wrappers of the C calls for that reason). `what` names the
/// operation for the message.
#[napi]
pub fn memory_pair_unsupported(what: String, device_type: i32, backend: i32) -> Result<()> {
    let dt = megengine::DeviceType::from_c(device_type).js()?;
    megengine::Backend::from_c(backend).js()?;
    if dt == megengine::DeviceType::Cpu {
        return Err(unsupported(format!(
            "{what}: memory pairs are a device-backend feature; LITE_CPU has no physical/virtual address pairs"
        )));
    }
    let count = megengine::device_count(dt).unwrap_or(0);
    if count == 0 {
        return Err(unsupported(format!(
            "{what}: no device of type {device_type} is available on this machine"
        )));
    }
    Err(unsupported(format!(
        "{what}: raw device addresses cannot be passed from JavaScript; register memory pairs from native code"
    )))
}

/// Runtime objects the binding currently owns (for leak checks).
#[napi(object)]
pub struct LiveObjects {
    /// Tensors created by the binding (not network IO tensors).
    pub tensors: u32,
    /// Networks not yet destroyed.
    pub networks: u32,
}

/// Current counts of runtime objects owned by the binding.
#[napi]
pub fn live_objects() -> LiveObjects {
    let l = megengine::live_objects();
    LiveObjects {
        tensors: u32::try_from(l.tensors).unwrap_or(u32::MAX),
        networks: u32::try_from(l.networks).unwrap_or(u32::MAX),
    }
}
