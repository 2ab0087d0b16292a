//! Engine failures as [`LiteError`]s (the type itself is shared with the MindSpore half: `lite-common`).

pub use lite_common::{ErrorCode, LiteError, Result};
use std::ffi::CStr;
use std::sync::Mutex;

/// Serialises our reads of the runtime's process-global error string.
static LAST_ERROR_LOCK: Mutex<()> = Mutex::new(());

/// The function table, loading the runtime on first use.
pub(crate) fn api() -> Result<&'static megengine_sys::Api> {
    megengine_sys::load(None).map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))
}

/// Turn a C return code into a `Result`, fetching the engine message on failure.
pub(crate) fn check(api: &megengine_sys::Api, rc: i32, what: &str) -> Result<()> {
    if rc == 0 {
        return Ok(());
    }
    let _g = LAST_ERROR_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: LITE_get_last_error takes no arguments and returns either null or a
    // NUL-terminated string owned by the runtime; it is copied before the lock is
    // released. (Another thread failing inside C at this very moment can still replace
    // that string: a runtime limitation documented in the crate docs.)
    let msg = unsafe {
        let p = (api.LITE_get_last_error)();
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    let msg = msg.trim_end().to_string();
    let message = if msg.is_empty() {
        format!("{what} failed (code {rc})")
    } else {
        msg
    };
    Err(LiteError::new(ErrorCode::LiteError, message))
}
