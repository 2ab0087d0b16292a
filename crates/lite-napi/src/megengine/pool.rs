//! `NativePool`: the native queue of a `LiteNetworkPool`. Requests wait in one queue; each
//! member network takes the next one on its own thread as soon as it finishes, so the JS
//! thread only copies feeds in, and outputs out, and settles promises.

use crate::error::{invalid, Result};
use crate::megengine::executor::{Batching, NativeFailure, PoolQueue};
use crate::megengine::network::{feeds_from_js, NativeFeed, NativeNetwork};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// Dynamic batching options of a pool (checked again here: `@lite/core` checks them first).
#[napi(object)]
pub struct NativeBatching {
    /// Most rows one forward runs (integer >= 1).
    pub max_batch: u32,
    /// How long a batch short of rows waits for more, in ms (finite, >= 0).
    pub max_delay_ms: f64,
}

/// Counters of the work a pool's queue handed out.
#[napi(object, object_from_js = false)]
pub struct NativePoolStats {
    /// Forwards run for queued requests (a batch counts once).
    pub runs: f64,
    /// Forwards that ran more than one request.
    pub batches: f64,
    /// Requests that ran inside such a forward.
    pub batched_requests: f64,
}

/// A pool's request queue over its member networks (internal; use `LiteNetworkPool`).
#[napi]
pub struct NativePool {
    queue: Arc<PoolQueue>,
}

impl Drop for NativePool {
    fn drop(&mut self) {
        self.queue.close(disposed_before_run());
    }
}

fn disposed_before_run() -> NativeFailure {
    NativeFailure {
        code: "LITE_DISPOSED".into(),
        message: "the LiteNetworkPool was disposed before this request ran".into(),
        engine_message: None,
    }
}

/// The longest batching delay, in ms (JS's longest timer): small enough to add to any `Instant`.
const MAX_DELAY_MS: f64 = 2_147_483_647.0;

fn batching_from_js(b: NativeBatching) -> Result<Batching> {
    if b.max_batch < 1 {
        return Err(invalid(format!(
            "batching.maxBatch must be an integer >= 1, got {}",
            b.max_batch
        )));
    }
    let max_delay = if b.max_delay_ms.is_finite() && (0.0..=MAX_DELAY_MS).contains(&b.max_delay_ms)
    {
        std::time::Duration::try_from_secs_f64(b.max_delay_ms / 1000.0).ok()
    } else {
        None
    };
    let Some(max_delay) = max_delay else {
        return Err(invalid(format!(
            "batching.maxDelayMs must be a number of ms in [0, {MAX_DELAY_MS}], got {}",
            b.max_delay_ms
        )));
    };
    Ok(Batching {
        max_batch: usize::try_from(b.max_batch).unwrap_or(usize::MAX),
        max_delay,
    })
}

#[napi]
impl NativePool {
    /// Makes the (loaded, idle) networks serve one queue.
    #[napi(constructor)]
    pub fn new(members: Vec<&NativeNetwork>, batching: Option<NativeBatching>) -> Result<Self> {
        let batching = batching.map(batching_from_js).transpose()?;
        let members = members.into_iter().map(|m| m.exec.clone()).collect();
        Ok(NativePool {
            queue: PoolQueue::attach(members, batching)?,
        })
    }

    /// What the queue handed out so far.
    #[napi]
    pub fn stats(&self) -> NativePoolStats {
        let (runs, batches, batched) = self.queue.counters();
        NativePoolStats {
            runs: runs as f64,
            batches: batches as f64,
            batched_requests: batched as f64,
        }
    }

    /// Queues a predict (feeds copied now); settles with the outputs in output order.
    #[napi(ts_return_type = "Promise<JobOutcome>")]
    pub fn predict<'env>(
        &self,
        env: &'env Env,
        id: u32,
        feeds: Vec<NativeFeed>,
    ) -> Result<Object<'env>> {
        self.queue.submit(env, id, feeds_from_js(feeds)?)
    }

    /// Removes request `id` if no network has taken it yet (its promise then settles with a
    /// `LITE_DISPOSED` failure nobody reads); false when it runs or ran.
    #[napi]
    pub fn cancel(&self, id: u32) -> bool {
        self.queue.cancel(
            id,
            NativeFailure {
                code: "LITE_DISPOSED".into(),
                message: "the request was aborted before it ran".into(),
                engine_message: None,
            },
        )
    }

    /// Requests waiting for a network.
    #[napi]
    pub fn queued(&self) -> u32 {
        u32::try_from(self.queue.queued()).unwrap_or(u32::MAX)
    }

    /// Detaches the networks; queued requests settle with `LITE_DISPOSED`. Running ones finish.
    #[napi]
    pub fn close(&self) {
        self.queue.close(disposed_before_run());
    }
}
