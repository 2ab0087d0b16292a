//! A tiny per-network access gate.
//!
//! States: idle, one short operation in progress, a long run (forward/load) in
//! progress, or an async run finishing (its completion callback is running). Short operations on a network or on the tensors it owns wait for other
//! short operations (they are brief) and fail with `Busy` during a long run instead of
//! racing with the engine.
//!
//! A run is *lent* while a start/finish callback runs: the engine is paused inside the
//! callback (its thread waits for it), so short operations are allowed again — that is how
//! callbacks get the live IO tensors, as in megenginelite — but a new run is not. The engine
//! resumes only after every short operation started meanwhile has ended.

use crate::error::{LiteError, Result};
use std::sync::atomic::{AtomicU8, Ordering};

const IDLE: u8 = 0;
const OP: u8 = 1;
const RUN: u8 = 2;
const FINISHING: u8 = 3;
/// A run paused in a start/finish callback: short operations may enter.
const LENT: u8 = 4;
/// A short operation inside a lent run.
const LENT_OP: u8 = 5;

#[derive(Debug, Default)]
pub(crate) struct Gate(AtomicU8);

/// A short operation; on drop the gate returns to the state the operation started from.
pub(crate) struct OpGuard<'a>(&'a Gate, u8);
pub(crate) struct RunGuard<'a> {
    gate: &'a Gate,
    armed: bool,
}

impl Gate {
    /// Moves to `to` (OP or RUN); returns the state to restore when the operation ends.
    fn acquire(&self, to: u8, wait_for_op: bool) -> Result<u8> {
        loop {
            match self
                .0
                .compare_exchange(IDLE, to, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Ok(IDLE),
                Err(LENT) if to == OP => {
                    if self
                        .0
                        .compare_exchange(LENT, LENT_OP, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        return Ok(LENT);
                    }
                }
                Err(LENT) | Err(LENT_OP) if to == RUN => {
                    return Err(LiteError::busy(
                        "the network is inside a start/finish callback of a running forward: it cannot run again until that forward ends",
                    ))
                }
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
        let back = self.acquire(OP, true)?;
        Ok(OpGuard(self, back))
    }

    /// Enter a short operation without waiting.
    pub(crate) fn try_op(&self) -> Result<OpGuard<'_>> {
        let back = self.acquire(OP, false)?;
        Ok(OpGuard(self, back))
    }

    /// A start/finish callback of a run begins: lend the run (short operations may enter).
    /// Returns false, lending nothing, when no run holds the gate.
    pub(crate) fn lend(&self) -> bool {
        self.0
            .compare_exchange(RUN, LENT, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// The callback returned: take the run back, waiting for a short operation that entered
    /// meanwhile (they are brief and take no lock the engine thread holds).
    pub(crate) fn unlend(&self) {
        while self
            .0
            .compare_exchange(LENT, RUN, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            std::thread::yield_now();
        }
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

    /// Whether a run is in progress (also while lent to a callback) or finishing.
    pub(crate) fn is_running(&self) -> bool {
        matches!(
            self.0.load(Ordering::Acquire),
            RUN | FINISHING | LENT | LENT_OP
        )
    }
}

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.store(self.1, Ordering::Release);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_run_admits_short_operations_but_no_new_run() {
        let g = Gate::default();
        let run = g.run().expect("idle gate");
        assert!(g.op().is_err(), "a running gate refuses short operations");
        assert!(g.lend());
        {
            let _op = g.op().expect("a lent run admits short operations");
            assert!(g.try_op().is_err(), "one short operation at a time");
        }
        assert!(g.run().is_err(), "no new run inside a callback");
        assert!(g.is_running());
        g.unlend();
        assert!(g.op().is_err(), "the run is back");
        drop(run);
        assert!(g.op().is_ok());
        assert!(!g.lend(), "nothing to lend when idle");
    }
}
