//! The Node.js binding of MegEngine Lite and MindSpore Lite (`@lite/binding`), grouped per
//! engine: [`megengine`] (networks, tensors, the per-network executor, globals, decryption, the
//! engine log) serves `@lite/core`; [`mindspore`] (models, runners, their queues, the converter)
//! serves `@lite/mindspore`. What both use: [`error`] and [`external`].
//!
//! Speaks only the safe `megengine` and `mindspore` crate APIs; every engine failure becomes a JS `Error` whose
//! `code` is one of the stable `LITE_*` codes (see [`error`]). The TypeScript package
//! `@lite/core` wraps these classes into the public API.
#![deny(clippy::all)]
// napi-derive registers exports only outside `cfg(test)`, so the test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod error;
mod external;
mod guarded;
mod megengine;
mod mindspore;
mod settle;
mod thread_priority;
