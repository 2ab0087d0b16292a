//! The error type of every fallible operation.

use std::ffi::CStr;
use std::sync::Mutex;

/// Stable error categories (surfaced to JS as `Error.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The engine reported a failure; the message comes from `LITE_get_last_error`.
    LiteError,
    /// The caller passed something invalid; rejected before reaching C.
    InvalidArgument,
    /// The object was disposed (used by the binding layers).
    Disposed,
    /// The runtime library could not be found, loaded or is incompatible.
    RuntimeNotFound,
    /// The operation or value is not supported by this runtime/build.
    Unsupported,
    /// The network (or a tensor it owns) is in use by a running forward/load.
    Busy,
    /// A model file does not exist, is a directory or cannot be read.
    FileNotFound,
    /// The data is not a model the engine can load (not a model, corrupt, truncated).
    InvalidModel,
}

impl ErrorCode {
    /// The stable string code, e.g. `"LITE_INVALID_ARGUMENT"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::LiteError => "LITE_ERROR",
            ErrorCode::InvalidArgument => "LITE_INVALID_ARGUMENT",
            ErrorCode::Disposed => "LITE_DISPOSED",
            ErrorCode::RuntimeNotFound => "LITE_RUNTIME_NOT_FOUND",
            ErrorCode::Unsupported => "LITE_UNSUPPORTED",
            ErrorCode::Busy => "LITE_BUSY",
            ErrorCode::FileNotFound => "LITE_FILE_NOT_FOUND",
            ErrorCode::InvalidModel => "LITE_INVALID_MODEL",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable [`ErrorCode`] and a human readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LiteError {
    /// Category.
    pub code: ErrorCode,
    /// Message (for engine failures: the engine's own text).
    pub message: String,
}

impl LiteError {
    /// Build an error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        LiteError {
            code,
            message: message.into(),
        }
    }
    /// `InvalidArgument` error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }
    /// `Unsupported` error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unsupported, message)
    }
    /// `Busy` error.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Busy, message)
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, LiteError>;

/// Serialises our reads of the runtime's process-global error string.
static LAST_ERROR_LOCK: Mutex<()> = Mutex::new(());

/// The function table, loading the runtime on first use.
pub(crate) fn api() -> Result<&'static lite_sys::Api> {
    lite_sys::load(None).map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))
}

/// Turn a C return code into a `Result`, fetching the engine message on failure.
pub(crate) fn check(api: &lite_sys::Api, rc: i32, what: &str) -> Result<()> {
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
