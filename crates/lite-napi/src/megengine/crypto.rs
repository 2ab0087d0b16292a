//! Model decryption hooks: JavaScript functions as Lite decryptors, and key updates of the
//! built-in decryptors (`AES_default`, `RC4_default`, `SIMPLE_FAST_RC4_default`).
//!
//! The runtime calls a decryptor on whatever thread loads the model: the JS thread for a
//! synchronous `load`, the network's own thread for `loadAsync`. On the JS thread the JS function
//! is called directly; on any other thread the call goes through a threadsafe function and
//! the loading thread blocks until the JS thread has run it (the JS thread itself never
//! waits, so this cannot deadlock). `lite::register_decryption_and_key` hides the C
//! two-pass (size, then fill) protocol, so the JS function runs once per load.
//!
//! A JS function that throws, or returns something other than a non-empty `Uint8Array`,
//! makes the decryptor return no data, which makes the load fail; the reason is kept on the
//! loading thread (never process-wide, so concurrent loads and workers cannot see each other's
//! reasons): a synchronous load's failure is read once on the JS thread with
//! [`take_decryption_failure`], an async load's is attached to its failure by the network's
//! thread ([`take_thread_failure`]). Keys never appear in messages.

use crate::error::{invalid, IntoJs, Result};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{sys, Env};
use napi_derive::napi;
use std::cell::{Cell, RefCell};
use std::sync::{mpsc, Arc};
use std::thread::{self, ThreadId};

/// What the JS decryptor gave back, converted on the JS thread: the bytes (copied out of
/// the JS memory at once) or why they are unusable.
pub struct Decrypted(std::result::Result<Vec<u8>, String>);

impl FromNapiValue for Decrypted {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: called by napi-rs on the JS thread with a live value of `env`; the slice
        // only lives inside this call (we copy it before returning).
        let slice = unsafe { Uint8ArraySlice::from_napi_value(env, value) };
        Ok(Decrypted(match slice {
            Ok(s) if s.is_empty() => Err("returned an empty Uint8Array".to_string()),
            Ok(s) => Ok(s.to_vec()),
            Err(_) => Err("did not return a Uint8Array".to_string()),
        }))
    }
}

impl TypeName for Decrypted {
    fn type_name() -> &'static str {
        "Uint8Array"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// Arguments handed to the JS function: `(input, key)`, both fresh `Uint8Array`s.
type JsArgs = FnArgs<(Uint8Array, Uint8Array)>;

/// Threadsafe handle to the JS function; weak, so a registered decryptor never keeps the
/// process alive.
type Tsfn = ThreadsafeFunction<(Vec<u8>, Vec<u8>), Decrypted, JsArgs, Status, false, true>;

/// A registered JS decryptor.
struct JsDecryptor {
    name: String,
    js_thread: ThreadId,
    /// The `napi_env` of `js_thread`, as an address (only dereferenced on that thread).
    env: usize,
    func: FunctionRef<JsArgs, Decrypted>,
    tsfn: Tsfn,
}

thread_local! {
    // (input address, input size) of the last load on this thread whose decryptor gave no
    // data. After an empty answer the runtime asks again (its fill call sees a null buffer
    // and looks like a size query); that repeat is answered from here, so the JS function
    // still runs once per load.
    static FAILED_INPUT: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

thread_local! {
    // The most recent failure of a JS decryptor called on this thread (name + reason, never
    // key bytes): the decryptor runs on the thread that loads the model.
    static LAST_FAILURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn record_failure(name: &str, reason: &str) {
    let msg = format!("the decryption function registered as {name:?} {reason}");
    LAST_FAILURE.with(|f| *f.borrow_mut() = Some(msg));
}

/// Why a JS decryptor called on this thread gave no data since the last call (then forgets it).
pub(crate) fn take_thread_failure() -> Option<String> {
    LAST_FAILURE.with(|f| f.borrow_mut().take())
}

fn outcome(name: &str, r: napi::Result<Decrypted>) -> Vec<u8> {
    match r {
        Ok(Decrypted(Ok(bytes))) => bytes,
        Ok(Decrypted(Err(reason))) => {
            record_failure(name, &reason);
            Vec::new()
        }
        Err(e) => {
            // The sync path reports `String(error)`, the threadsafe one `error.message`.
            let reason = e.reason.strip_prefix("Error: ").unwrap_or(&e.reason);
            record_failure(name, &format!("threw: {reason}"));
            Vec::new()
        }
    }
}

impl JsDecryptor {
    fn decrypt(&self, input: &[u8], key: &[u8]) -> Vec<u8> {
        if thread::current().id() == self.js_thread {
            self.call_direct(input, key)
        } else {
            self.call_from_other_thread(input, key)
        }
    }

    fn call_direct(&self, input: &[u8], key: &[u8]) -> Vec<u8> {
        // We are on the thread that owns this env (checked by the caller), inside a native
        // call made from JS (a model load), so the env is live and usable here.
        let env = Env::from_raw(self.env as sys::napi_env);
        let r = self.func.borrow_back(&env).and_then(|f| {
            f.call(FnArgs::from((
                Uint8Array::new(input.to_vec()),
                Uint8Array::new(key.to_vec()),
            )))
        });
        outcome(&self.name, r)
    }

    fn call_from_other_thread(&self, input: &[u8], key: &[u8]) -> Vec<u8> {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(1);
        let name = self.name.clone();
        let status = self.tsfn.call_with_return_value(
            (input.to_vec(), key.to_vec()),
            ThreadsafeFunctionCallMode::Blocking,
            move |r, _env| {
                // The receiver only goes away if the loading thread stopped waiting.
                let _ = tx.send(outcome(&name, r));
                Ok(())
            },
        );
        if status != Status::Ok {
            record_failure(
                &self.name,
                "could not be called: the JS thread is shutting down",
            );
            return Vec::new();
        }
        // If the environment tears down before the call runs, the queued data (and `tx`
        // with it) is dropped and `recv` returns an error instead of blocking forever.
        rx.recv().unwrap_or_else(|_| {
            record_failure(&self.name, "was not run: the JS thread is shutting down");
            Vec::new()
        })
    }
}

/// Registers the JS function `func(input, key) => Uint8Array` as the decryption method
/// `name` with `key`. Models loaded with `bareModelCryptionName = name` (or packed with it)
/// go through `func`, once per load, on the JS thread.
#[napi(
    ts_args_type = "name: string, func: (input: Uint8Array, key: Uint8Array) => Uint8Array, key: Uint8Array"
)]
pub fn register_decryption_and_key(
    env: Env,
    name: String,
    func: Function<JsArgs, Decrypted>,
    key: Uint8ArraySlice,
) -> Result<()> {
    if name.is_empty() {
        return Err(invalid("decryption method name must not be empty"));
    }
    if key.is_empty() {
        return Err(invalid("decryption key must not be empty"));
    }
    let func_ref = func.create_ref().map_err(crate::error::from_napi)?;
    let tsfn: Tsfn = func
        .build_threadsafe_function::<(Vec<u8>, Vec<u8>)>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| {
            let (input, key) = ctx.value;
            Ok(FnArgs::from((Uint8Array::new(input), Uint8Array::new(key))))
        })
        .map_err(crate::error::from_napi)?;
    let d = Arc::new(JsDecryptor {
        name: name.clone(),
        js_thread: thread::current().id(),
        env: env.raw() as usize,
        func: func_ref,
        tsfn,
    });
    let f: megengine::DecryptFn = Arc::new(move |input: &[u8], key: &[u8]| {
        let tag = (input.as_ptr() as usize, input.len());
        if FAILED_INPUT.with(|c| c.take()) == Some(tag) {
            return Vec::new();
        }
        let out = d.decrypt(input, key);
        if out.is_empty() {
            FAILED_INPUT.with(|c| c.set(Some(tag)));
        }
        out
    });
    megengine::register_decryption_and_key(&name, f, &key).js()
}

/// Replaces the key of a decryption method (built-in or registered). The caller validated
/// the key length for the built-ins.
#[napi]
pub fn update_decryption_key(name: String, key: Uint8ArraySlice) -> Result<()> {
    if name.is_empty() {
        return Err(invalid("decryption method name must not be empty"));
    }
    if key.is_empty() {
        return Err(invalid("decryption key must not be empty"));
    }
    megengine::update_decryption(&name, None, &key).js()
}

/// Why the most recent JS decryptor called on the JS thread (a synchronous load) produced no data
/// (then forgets it), or `null`.
#[napi]
pub fn take_decryption_failure() -> Option<String> {
    take_thread_failure()
}

/// How many JS decryptors can be registered per process.
#[napi]
pub fn max_decryption_methods() -> u32 {
    megengine::MAX_DECRYPTION_METHODS as u32
}
