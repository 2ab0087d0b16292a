//! What both engine halves share, and nothing engine-specific: the error type with the house's
//! stable codes (surfaced to JS as `error.code`), the per-user runtime cache root, and the parts
//! of runtime loading that are the same for both `-sys` crates (which file or folder to load,
//! loading it once). The `-sys` crates keep the engine-specific checks and every `unsafe` call.
//!
//! `megengine` and `mindspore` (and their `-sys` crates) depend on this crate; neither half
//! depends on the other.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

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

/// Where to load a runtime from, in the house's order: the environment variable `env` (when set
/// and non-empty) wins, then `explicit` (a path the JS layer found, e.g. in a runtime package,
/// described as `explicit_origin`), then `in_cache` applied to the per-user [`cache_root`].
/// Returns the path and a short description of where it came from; `None` when no cache root can
/// be derived either (the caller says how to get the runtime).
///
/// ```
/// # use std::path::Path;
/// let (p, origin) = lite_common::runtime_location("LITE_DOC_EXAMPLE_UNSET", Some(Path::new("/opt/rt")), "explicit path", |c| c)
///     .unwrap();
/// assert_eq!((p.as_path(), origin), (Path::new("/opt/rt"), "explicit path"));
/// ```
pub fn runtime_location(
    env: &'static str,
    explicit: Option<&Path>,
    explicit_origin: &'static str,
    in_cache: impl FnOnce(PathBuf) -> PathBuf,
) -> Option<(PathBuf, &'static str)> {
    if let Some(p) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), env));
    }
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), explicit_origin));
    }
    cache_root().map(|root| (in_cache(root), "runtime cache"))
}

/// Loads something once for the life of the process (a runtime's function table): the cached
/// value when there is one, else `load` runs under `lock` (so two threads never load twice) and
/// its success is kept. A failure is not kept, so a later call may succeed (e.g. after setup).
///
/// ```
/// use std::sync::{Mutex, OnceLock};
/// static CELL: OnceLock<u32> = OnceLock::new();
/// static LOCK: Mutex<()> = Mutex::new(());
/// assert_eq!(lite_common::load_once(&CELL, &LOCK, || Err("not yet".to_string())), Err("not yet".to_string()));
/// assert_eq!(lite_common::load_once(&CELL, &LOCK, || Ok(7)), Ok(&7));
/// assert_eq!(lite_common::load_once(&CELL, &LOCK, || Ok(8)), Ok(&7));
/// ```
pub fn load_once<'a, T>(
    cell: &'a OnceLock<T>,
    lock: &Mutex<()>,
    load: impl FnOnce() -> std::result::Result<T, String>,
) -> std::result::Result<&'a T, String> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = load()?;
    Ok(cell.get_or_init(|| v))
}
