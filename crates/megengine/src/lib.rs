//! Safe Rust wrappers of the MegEngine Lite runtime (lite-c 1.13).
//!
//! - [`Tensor`]: RAII tensors. Tensors we create (`new`, `slice`, `concat`) are
//!   destroyed on drop; IO tensors come from a [`Network`], are never destroyed by us,
//!   and keep their network alive.
//! - [`Network`]: RAII network, `Send` but not `Sync`.
//! - Free functions in [`global`] for process-wide settings.
//! - Every C return code is checked; failures become [`LiteError`] with a stable
//!   [`ErrorCode`] and, for engine failures, the engine's message.
//!
//! Runtime facts these wrappers account for (verified against the 1.13 library):
//! - rank is limited to 6 (`ndim < LAYOUT_MAX_DIM` is asserted in C);
//! - `LITE_UINT` and `LITE_INT64` are declared but rejected ("unsupport dtype");
//! - CUDA tensors/networks without a GPU fail cleanly (no abort);
//! - the last-error string is process-global (not per thread) and the error code is
//!   sticky, so the return code is what decides failure; two threads failing at the
//!   same instant may see each other's message.

#![warn(missing_docs)]

mod config;
mod enums;
mod error;
mod gate;
pub mod global;
mod layout;
pub mod mge_check;
mod network;
mod tensor;

pub use config::{Config, ExtraConfig, Io, NetworkIo, Options};
pub use enums::{AlgoSelectStrategy, Backend, DataType, DeviceType, IoType, LogLevel, TensorPhase};
pub use error::{ErrorCode, LiteError, Result};
pub use global::*;
pub use layout::{Layout, MAX_RANK};
pub use mge_check::{check_mge, MgeProblem};
pub use network::{CallbackIo, Network};
pub use tensor::{Tensor, UserMemory};

use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) static LIVE_TENSORS: AtomicUsize = AtomicUsize::new(0);
pub(crate) static LIVE_NETWORKS: AtomicUsize = AtomicUsize::new(0);

/// Runtime objects this crate currently owns: tensors it created (`Tensor::new`, slices,
/// concatenations; not network IO tensors, which the network owns) and networks not yet
/// destroyed. For leak checks: both return to their earlier level once everything created
/// since has been dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveObjects {
    /// Live `LiteTensor` handles created by this crate.
    pub tensors: usize,
    /// Live `LiteNetwork` handles.
    pub networks: usize,
}

/// Current [`LiveObjects`] counts.
pub fn live_objects() -> LiveObjects {
    LiveObjects {
        tensors: LIVE_TENSORS.load(Ordering::Relaxed),
        networks: LIVE_NETWORKS.load(Ordering::Relaxed),
    }
}
