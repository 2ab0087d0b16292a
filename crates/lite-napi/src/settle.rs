//! Promises settled from any thread through one threadsafe function per JS environment.
//!
//! napi-rs's `JsDeferred` makes a threadsafe function (a libuv handle and an environment cleanup
//! hook, closed again after the settlement) for every promise: at thousands of async calls per
//! second that is a measurable share of each call's fixed cost. Here each environment has one
//! threadsafe function, made on first use and kept in the environment's instance data. It is
//! referenced (keeps the event loop alive) only while a promise made through it is pending, and
//! every settlement is one non-blocking call on it: engine threads never wait for JS.
//!
//! Teardown: when the environment goes away, Node finalizes the threadsafe function; our
//! finalizer clears it under the lock every delivery takes, so no thread calls it afterwards
//! (a settlement then is dropped: nobody is left to see the promise).

use napi::bindgen_prelude::{Env, Object, ToNapiValue};
use napi::{sys, JsError};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a settlement runs on the JS thread (`None`: the environment is being torn down).
type Item = Box<dyn FnOnce(Option<Env>) + Send>;

/// Makes the settled value on the JS thread (where JS values can be made).
pub(crate) type Resolver<T> = Box<dyn FnOnce(Env) -> napi::Result<T> + Send>;

/// A raw threadsafe function handle.
struct RawTsfn(sys::napi_threadsafe_function);

// SAFETY: calling a threadsafe function from any thread is its purpose; the handle is only used
// under `Settler::tsfn`'s lock, which the finalizer takes before Node frees it.
unsafe impl Send for RawTsfn {}

/// One environment's settlement channel.
pub(crate) struct Settler {
    /// `None` once the environment finalized the threadsafe function.
    tsfn: Mutex<Option<RawTsfn>>,
    /// Promises made through this channel and not settled yet (changed on the JS thread only).
    pending: AtomicUsize,
}

impl Settler {
    fn lock(&self) -> MutexGuard<'_, Option<RawTsfn>> {
        self.tsfn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The environment's channel, made on first use (JS thread).
    pub(crate) fn of(env: &Env) -> napi::Result<Arc<Settler>> {
        let state = crate::megengine::engine_log::env_state(env)?;
        if let Some(s) = &state.settler {
            return Ok(s.clone());
        }
        let settler = Arc::new(Settler {
            tsfn: Mutex::new(None),
            pending: AtomicUsize::new(0),
        });
        let mut name = ptr::null_mut();
        let label = "lite-settle";
        // SAFETY: live environment on its JS thread; `label` outlives the call.
        check(unsafe {
            sys::napi_create_string_utf8(
                env.raw(),
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name,
            )
        })?;
        let finalize_data = Arc::into_raw(settler.clone()) as *mut c_void;
        let mut raw = ptr::null_mut();
        // SAFETY: live environment; no JS function (the call_js callback does the work); the
        // finalize data is an `Arc<Settler>` that `finalize` takes back exactly once.
        let status = unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                finalize_data,
                Some(finalize),
                ptr::null_mut(),
                Some(call_js),
                &mut raw,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: the threadsafe function was not made, so `finalize` will never take it.
            drop(unsafe { Arc::from_raw(finalize_data as *const Settler) });
            return Err(napi::Error::from_reason(
                "could not create the binding's settlement channel",
            ));
        }
        // Idle until a promise is pending: an idle channel must not keep the process alive.
        // SAFETY: the function was just made in this environment, on its JS thread.
        check(unsafe { sys::napi_unref_threadsafe_function(env.raw(), raw) })?;
        *settler.lock() = Some(RawTsfn(raw));
        state.settler = Some(settler.clone());
        Ok(settler)
    }

    /// A promise was made (JS thread): keep the event loop alive until it is settled.
    fn made(&self, env: &Env) {
        if self.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            if let Some(t) = self.lock().as_ref() {
                // SAFETY: live function of this environment, on its JS thread.
                unsafe { sys::napi_ref_threadsafe_function(env.raw(), t.0) };
            }
        }
    }

    /// A promise was settled (JS thread): the last one lets the event loop go.
    fn settled(&self, env: &Env) {
        if self.pending.fetch_sub(1, Ordering::Relaxed) == 1 {
            if let Some(t) = self.lock().as_ref() {
                // SAFETY: live function of this environment, on its JS thread.
                unsafe { sys::napi_unref_threadsafe_function(env.raw(), t.0) };
            }
        }
    }

    /// Runs `item` on the JS thread (from any thread, never waiting for it).
    fn deliver(&self, item: Item) {
        let guard = self.lock();
        let Some(t) = guard.as_ref() else {
            // The environment is gone: nobody can see the promise any more.
            item(None);
            return;
        };
        let data = Box::into_raw(Box::new(item));
        // SAFETY: live threadsafe function (the lock keeps its finalizer from running); `data`
        // is handed to `call_js`, which takes it back, unless the call is refused.
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                t.0,
                data.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        drop(guard);
        if status != sys::Status::napi_ok {
            // SAFETY: refused, so `call_js` will never see `data`: take it back once.
            let item = unsafe { Box::from_raw(data) };
            item(None);
        }
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!(
            "N-API call failed with status {status}"
        )))
    }
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` came from `Box::into_raw` in `deliver` and reaches this callback once.
    let item = unsafe { Box::from_raw(data.cast::<Item>()) };
    // Node calls this on the environment's JS thread (env null: torn down).
    item((!env.is_null()).then(|| Env::from_raw(env)));
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Arc<Settler>` leaked for this function in `Settler::of`.
    let settler = unsafe { Arc::from_raw(data as *const Settler) };
    *settler.lock() = None;
}

/// A raw napi deferred: settled on its environment's JS thread only (by `call_js`).
struct RawDeferred(sys::napi_deferred);

// SAFETY: the handle is only moved across threads; it is used on the JS thread alone.
unsafe impl Send for RawDeferred {}

/// A promise settled from any thread (the `JsDeferred` API, through the environment's one
/// settlement channel).
pub(crate) struct Deferred<T: ToNapiValue + 'static> {
    raw: Option<RawDeferred>,
    settler: Arc<Settler>,
    _value: PhantomData<fn() -> T>,
}

impl<T: ToNapiValue + 'static> Deferred<T> {
    /// A new promise and its deferred (JS thread).
    pub(crate) fn new(env: &Env) -> napi::Result<(Deferred<T>, Object<'_>)> {
        let settler = Settler::of(env)?;
        let mut raw = ptr::null_mut();
        let mut promise = ptr::null_mut();
        // SAFETY: live environment on its JS thread; valid out-pointers.
        check(unsafe { sys::napi_create_promise(env.raw(), &mut raw, &mut promise) })?;
        settler.made(env);
        let deferred = Deferred {
            raw: Some(RawDeferred(raw)),
            settler,
            _value: PhantomData,
        };
        let object = Object::from_raw(env.raw(), promise);
        Ok((deferred, object))
    }

    /// Settles the promise with what `resolver` makes on the JS thread (an `Err` rejects it).
    pub(crate) fn resolve(mut self, resolver: Resolver<T>) {
        if let Some(raw) = self.raw.take() {
            self.send(raw, resolver);
        }
    }

    fn send(&self, raw: RawDeferred, resolver: Resolver<T>) {
        let settler = self.settler.clone();
        self.settler.deliver(Box::new(move |env: Option<Env>| {
            // The whole handle moves into the closure (not just its pointer field).
            let raw = raw;
            let Some(env) = env else { return };
            settler.settled(&env);
            let outcome = resolver(env);
            // SAFETY: JS thread of the environment that made `raw`, inside Node's handle and
            // callback scope for this call; `raw` is settled exactly once, here.
            unsafe {
                let value = outcome.and_then(|v| T::to_napi_value(env.raw(), v));
                match value {
                    Ok(v) => {
                        sys::napi_resolve_deferred(env.raw(), raw.0, v);
                    }
                    Err(e) => {
                        let error = JsError::from(e).into_value(env.raw());
                        sys::napi_reject_deferred(env.raw(), raw.0, error);
                    }
                }
            }
        }));
    }
}

impl<T: ToNapiValue + 'static> Drop for Deferred<T> {
    fn drop(&mut self) {
        // Never settled (its job was dropped): reject rather than leave the caller waiting.
        if let Some(raw) = self.raw.take() {
            self.send(
                raw,
                Box::new(|_| {
                    Err(napi::Error::from_reason(
                        "the call was dropped before it settled",
                    ))
                }),
            );
        }
    }
}
