//! A native queue's control block: its state behind a mutex, and the condvar its threads sleep
//! on until the state changes. Shared by MegEngine's executor and MindSpore's lanes.

use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
pub(crate) struct Ctl<S> {
    state: Mutex<S>,
    /// Notified after every change a waiting thread may care about.
    pub(crate) wake: Condvar,
}

impl<S> Ctl<S> {
    /// The state, locked (a panic while it was held leaves it usable: every change is whole).
    pub(crate) fn state(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
