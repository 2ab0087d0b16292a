//! What both engine halves share, and nothing engine-specific: the error type with the house's
//! stable codes (surfaced to JS as `error.code`) and the per-user runtime cache root.
//!
//! `megengine` and `mindspore` (and their `-sys` crates) depend on this crate; neither half
//! depends on the other.

use std::path::PathBuf;

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

/// The per-user cache root of the fetcher (`${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}`),
/// shared by every engine's runtime lookup. `None` if none of the variables is set.
pub fn cache_root() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    Some(if let Some(dir) = non_empty("LITE_CACHE_DIR") {
        PathBuf::from(dir)
    } else if let Some(xdg) = non_empty("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("lite-node")
    } else {
        PathBuf::from(non_empty("HOME")?)
            .join(".cache")
            .join("lite-node")
    })
}
