//! The Node.js binding of MegEngine Lite (`@lite/binding`).
//!
//! Speaks only the safe `lite` crate API; every engine failure becomes a JS `Error` whose
//! `code` is one of the stable `LITE_*` codes (see [`error`]). The TypeScript package
//! `@lite/core` wraps these classes into the public API.
#![deny(clippy::all)]
// napi-derive registers exports only outside `cfg(test)`, so the test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod crypto;
mod engine_log;
mod error;
mod executor;
mod external;
mod global;
mod lanes;
mod mindspore_converter;
mod mindspore_model;
mod network;
mod pool;
mod tensor;
