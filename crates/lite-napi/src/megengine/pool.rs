//! `NativePool`: the native queue of a `LiteNetworkPool`. Requests wait in one queue; each
//! member network takes the next one on its own thread as soon as it finishes, so the JS
//! thread only copies feeds in, and outputs out, and settles promises.

use crate::error::Result;
use crate::megengine::executor::{NativeFailure, PoolQueue};
use crate::megengine::network::{feeds_from_js, NativeFeed, NativeNetwork};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

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

#[napi]
impl NativePool {
    /// Makes the (loaded, idle) networks serve one queue.
    #[napi(constructor)]
    pub fn new(members: Vec<&NativeNetwork>) -> Result<Self> {
        let members = members.into_iter().map(|m| m.exec.clone()).collect();
        Ok(NativePool {
            queue: PoolQueue::attach(members)?,
        })
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
