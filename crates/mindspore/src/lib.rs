//! Safe Rust wrappers of MindSpore Lite 2.0.0 (CPU cloud inference) over `mindspore-sys`.
//!
//! - [`Model`]: RAII model (`Send`, not `Sync`): build from a file or bytes, inspect inputs and
//!   outputs, resize, predict. Inputs are copied in and outputs copied out at the call, so no
//!   caller ever holds engine memory that a later predict, resize or free would change.
//! - [`Runner`]: RAII `ModelParallelRunner` (`Send + Sync`): concurrent predicts on a pool of
//!   workers, each request with its own input copies.
//! - Errors are `lite_common::LiteError` with the house's stable codes; engine failures carry the
//!   reason the engine logged, not only "Common error code.".

#![warn(missing_docs)]

mod converter;
pub mod mindir_check;
mod model;
mod options;
mod runner;
mod tensor;

pub use converter::{convert, ConvertOptions, FmkType};
pub use lite_common::{ErrorCode, LiteError, Result};
pub use mindir_check::{check_mindir, MindirProblem};
pub use model::Model;
pub use options::{BuildOptions, ConfigEntry, ModelType};
pub use runner::Runner;
pub use tensor::{dtype_size, Input, TensorData, TensorInfo};

use std::ffi::CStr;
use std::path::Path;

/// The pinned runtime version ("2.0.0"; the runtime reports none itself).
pub const VERSION: &str = mindspore_sys::VERSION;

/// Loads the runtime once (see `mindspore_sys::load`); `explicit` is a runtime folder, e.g.
/// from the platform runtime package. Returns the folder actually loaded.
pub fn init(explicit: Option<&Path>) -> Result<&'static Path> {
    mindspore_sys::load(explicit).map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))?;
    mindspore_sys::runtime_dir().ok_or_else(|| {
        LiteError::new(
            ErrorCode::RuntimeNotFound,
            "MindSpore Lite runtime not loaded",
        )
    })
}

pub(crate) fn api() -> Result<&'static mindspore_sys::Api> {
    mindspore_sys::load(None).map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))
}

/// Turns a shim return code into a `Result`, with this thread's shim message on failure.
pub(crate) fn check(api: &mindspore_sys::Api, rc: i32) -> Result<()> {
    if rc == mindspore_sys::LMS_OK {
        return Ok(());
    }
    // SAFETY: returns a pointer to this thread's NUL-terminated message (never null), valid
    // until the next shim call on this thread; copied at once.
    let message = unsafe { CStr::from_ptr((api.lms_last_error)()) }
        .to_string_lossy()
        .into_owned();
    Err(error_for(rc, message))
}

/// The error for a failing shim return code and its message.
pub(crate) fn error_for(rc: i32, message: String) -> LiteError {
    let code = match rc {
        mindspore_sys::LMS_ERR_INVALID => ErrorCode::InvalidArgument,
        mindspore_sys::LMS_ERR_UNSUPPORTED => ErrorCode::Unsupported,
        _ => ErrorCode::LiteError,
    };
    LiteError::new(code, message)
}
