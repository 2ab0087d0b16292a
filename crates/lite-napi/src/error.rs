//! One conversion from `lite::LiteError` to a JS error carrying the stable code.

use napi::bindgen_prelude::*;
use napi_derive::napi;

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
pub fn to_js(e: megengine::LiteError) -> Error<Code> {
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

impl<T> IntoJs<T> for megengine::Result<T> {
    fn js(self) -> Result<T> {
        self.map_err(to_js)
    }
}

/// A failure as a structured value: the stable code, our one-line message, and the engine's
/// own text when the engine reported it.
#[napi(object)]
#[derive(Clone)]
pub struct NativeFailure {
    /// Stable `LITE_*` code.
    pub code: String,
    /// The message (for engine failures, the engine's text).
    pub message: String,
    /// The engine's unabridged text (`LITE_ERROR` only).
    pub engine_message: Option<String>,
}

impl From<megengine::LiteError> for NativeFailure {
    fn from(e: megengine::LiteError) -> NativeFailure {
        let engine = e.code == megengine::ErrorCode::LiteError;
        NativeFailure {
            code: e.code.as_str().to_string(),
            engine_message: engine.then(|| e.message.clone()),
            message: e.message,
        }
    }
}

/// Keeps an async task's failure for [`rejection`] and returns the error that makes napi-rs
/// reject the task (its text is never shown).
pub fn keep_failure(slot: &mut Option<NativeFailure>, e: megengine::LiteError) -> napi::Error {
    *slot = Some(e.into());
    napi::Error::from_reason("the task failed")
}

/// An async task run a second time (an internal invariant broken): `LITE_ERROR`.
pub fn already_ran(slot: &mut Option<NativeFailure>) -> napi::Error {
    keep_failure(
        slot,
        megengine::LiteError::new(megengine::ErrorCode::LiteError, "the task already ran"),
    )
}

/// An async task's rejection (from `Task::reject`): a JS `Error` carrying the stable `code`,
/// and `engineMessage` for engine failures, as properties; never a code inside the text.
pub fn rejection(env: &Env, slot: &mut Option<NativeFailure>, err: napi::Error) -> napi::Error {
    let Some(f) = slot.take() else { return err };
    let build = || -> napi::Result<napi::Error> {
        let mut obj = env.create_error(napi::Error::from_reason(f.message.clone()))?;
        obj.set_named_property("code", f.code.as_str())?;
        if let Some(m) = &f.engine_message {
            obj.set_named_property("engineMessage", m.as_str())?;
        }
        Ok(napi::Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}
