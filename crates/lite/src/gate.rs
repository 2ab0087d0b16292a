//! A tiny per-network access gate.
//!
//! States: idle, one short operation in progress, a long run (forward/load) in
//! progress, or an async run finishing (its completion callback is running). Short operations on a network or on the tensors it owns wait for other
//! short operations (they are brief) and fail with `Busy` during a long run instead of
//! racing with the engine. Tensors handed to start/finish callbacks bypass the gate:
//! they are only lent to the callback, which runs inside the forward.

use crate::error::{LiteError, Result};
use std::sync::atomic::{AtomicU8, Ordering};

const IDLE: u8 = 0;
const OP: u8 = 1;
const RUN: u8 = 2;
const FINISHING: u8 = 3;

#[derive(Debug, Default)]
pub(crate) struct Gate(AtomicU8);

pub(crate) struct OpGuard<'a>(&'a Gate);
pub(crate) struct RunGuard<'a> {
    gate: &'a Gate,
    armed: bool,
}

impl Gate {
    fn acquire(&self, to: u8, wait_for_op: bool) -> Result<()> {
        loop {
            match self
                .0
                .compare_exchange(IDLE, to, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(RUN) => {
                    return Err(LiteError::busy(
                        "the network is running (forward/load in progress): call wait() (or await the async forward) first",
                    ))
                }
                // The completion callback of an async run is wrapping up: brief, and it
                // takes no other lock, so waiting cannot deadlock.
                Err(FINISHING) => std::thread::yield_now(),
                Err(_) if wait_for_op => std::thread::yield_now(),
                Err(_) => {
                    return Err(LiteError::busy(
                        "the network is being used by another operation",
                    ))
                }
            }
        }
    }

    /// Enter a short operation (waits for other short operations).
    pub(crate) fn op(&self) -> Result<OpGuard<'_>> {
        self.acquire(OP, true)?;
        Ok(OpGuard(self))
    }

    /// Enter a short operation without waiting.
    pub(crate) fn try_op(&self) -> Result<OpGuard<'_>> {
        self.acquire(OP, false)?;
        Ok(OpGuard(self))
    }

    /// Enter a long run (forward, load).
    pub(crate) fn run(&self) -> Result<RunGuard<'_>> {
        self.acquire(RUN, true)?;
        Ok(RunGuard {
            gate: self,
            armed: true,
        })
    }

    /// End a run whose guard was disarmed (async forward completion).
    pub(crate) fn finish_run(&self) {
        let _ = self
            .0
            .compare_exchange(RUN, IDLE, Ordering::Release, Ordering::Relaxed);
    }

    /// An async run's completion callback starts: the run is over, but the callback
    /// still uses memory owned next to this gate, so the owner must not be destroyed
    /// (and no new run may start) until [`Gate::end_finish`].
    pub(crate) fn begin_finish(&self) {
        let _ = self
            .0
            .compare_exchange(RUN, FINISHING, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// The completion callback is done; this must be its last access to the owner.
    pub(crate) fn end_finish(&self) {
        let _ = self
            .0
            .compare_exchange(FINISHING, IDLE, Ordering::Release, Ordering::Relaxed);
    }

    /// Whether a run is in progress or finishing.
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.0.load(Ordering::Acquire), RUN | FINISHING)
    }
}

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.store(IDLE, Ordering::Release);
    }
}

impl RunGuard<'_> {
    /// Keep the gate in the running state after this guard is dropped; the async
    /// completion callback or `wait` ends it with [`Gate::finish_run`].
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.gate.finish_run();
        }
    }
}
