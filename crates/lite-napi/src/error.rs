//! One conversion from `lite::LiteError` to a JS error carrying the stable code.

use napi::bindgen_prelude::*;

/// The JS-side status: the stable `LITE_*` code string (becomes `error.code` in JS).
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Result type of every exported function.
pub type Result<T, E = Error<Code>> = std::result::Result<T, E>;

/// Converts an engine/wrapper error.
pub fn to_js(e: lite::LiteError) -> Error<Code> {
    Error::new(Code(e.code.as_str()), e.message)
}

/// `LITE_INVALID_ARGUMENT`.
pub fn invalid(message: impl Into<String>) -> Error<Code> {
    Error::new(Code("LITE_INVALID_ARGUMENT"), message.into())
}

/// `LITE_DISPOSED`.
pub fn disposed(what: &str) -> Error<Code> {
    Error::new(Code("LITE_DISPOSED"), format!("the {what} was disposed"))
}

/// Wraps a napi-level failure (e.g. creating a JS value) in our error type.
pub fn from_napi(e: Error) -> Error<Code> {
    Error::new(Code("LITE_ERROR"), e.reason.clone())
}

/// `?`-friendly conversion for `lite::Result`.
pub trait IntoJs<T> {
    /// Maps the error into a JS error with a stable code.
    fn js(self) -> Result<T>;
}

impl<T> IntoJs<T> for lite::Result<T> {
    fn js(self) -> Result<T> {
        self.map_err(to_js)
    }
}
