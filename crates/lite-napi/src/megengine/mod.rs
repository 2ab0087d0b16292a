//! The MegEngine Lite half of the binding (`@lite/core` and the packages built on it).

pub mod crypto;
pub mod engine_log;
pub mod executor;
pub mod global;
pub mod network;
pub mod pool;
pub mod tensor;
