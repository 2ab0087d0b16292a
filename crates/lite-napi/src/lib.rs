//! The Node.js binding of MegEngine Lite. Speaks only the safe `lite` crate API.
#![deny(clippy::all)]
