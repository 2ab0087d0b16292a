//! Module-level functions: runtime loading, version, log level, global settings.

use crate::error::{invalid, IntoJs, Result};
use napi_derive::napi;
use std::path::PathBuf;

/// Loads the MegEngine Lite runtime. `LITE_LIB_PATH` wins; else `path` (the library shipped in
/// the platform package); else the per-user cache. Idempotent.
#[napi]
pub fn load_runtime(path: Option<String>) -> Result<String> {
    let p = path.map(PathBuf::from);
    lite::init(p.as_deref()).js()?;
    Ok(lite::library_path().map(|p| p.display().to_string()).unwrap_or_default())
}

/// The runtime version as "M.m.p".
#[napi]
pub fn version() -> Result<String> {
    let (a, b, c) = lite::version().js()?;
    Ok(format!("{a}.{b}.{c}"))
}

/// Sets the engine log level.
#[napi]
pub fn set_log_level(level: i32) -> Result<()> {
    lite::set_log_level(lite::LogLevel::from_c(level).js()?).js()
}

/// The engine log level.
#[napi]
pub fn get_log_level() -> Result<i32> {
    Ok(lite::get_log_level().js()?.as_c())
}

/// Number of devices of a type.
#[napi]
pub fn get_device_count(device_type: i32) -> Result<u32> {
    let n = lite::device_count(lite::DeviceType::from_c(device_type).js()?).js()?;
    u32::try_from(n).map_err(|_| invalid("device count overflow"))
}
