//! Model decryption hooks: JavaScript functions as Lite decryptors, and key updates of the
//! built-in decryptors (`AES_default`, `RC4_default`, `SIMPLE_FAST_RC4_default`).
//!
//! The runtime calls a decryptor on whatever thread loads the model, while it holds its own
//! process-wide lock of the decryption table. A JS decryptor can only run on the JS thread that
//! registered it, so the engine calls it only there, and no other thread ever waits for it:
//! - a synchronous `load` (or `getModelIoInfo`) on that JS thread: the engine calls the JS
//!   function directly, inside the load;
//! - `loadAsync` (and what is built on it: `LiteNetwork.create`, `LiteNetworkPool.create`):
//!   `@lite/core` runs the JS decryptor itself on the JS thread before it queues the load
//!   ([`NativeDecryptor::decrypt`]: the same function, arguments and failure rules as the
//!   engine's call), and the network's thread loads the decrypted model as a plain one
//!   (`loadDecryptedAsync`); the engine never calls JS from the network's thread;
//! - any other thread (a worker that did not register the name): the engine's call is refused
//!   at once (the decryptor gives no data, with a reason); `@lite/core` refuses such loads
//!   before the engine with `LITE_UNSUPPORTED` ([`foreign_decryption_method`]).
//!
//! `lite::register_decryption_and_key` hides the C two-pass (size, then fill) protocol, so the
//! JS function runs once per load. The key of every JS decryption method is kept here too (in
//! step with the engine's copy), for the calls made outside the engine.
//!
//! A JS function that throws, or returns something other than a non-empty `Uint8Array`,
//! makes the decryptor return no data, which makes the load fail; the reason is kept on the
//! loading thread (never process-wide, so concurrent loads and workers cannot see each other's
//! reasons): a synchronous load's failure is read once on the JS thread with
//! [`take_decryption_failure`], a failure on a network's thread is attached to its job's failure
//! by that thread ([`take_thread_failure`]). A call made outside the engine returns its reason
//! directly. Keys never appear in messages.

use crate::error::{invalid, IntoJs, Result};
use napi::bindgen_prelude::*;
use napi::{sys, Env};
use napi_derive::napi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
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

/// A JS decryption method of this process: the JS thread that registered it and its current
/// key (the engine keeps its own copy; [`register_decryption_and_key`] and
/// [`update_decryption_key`] change both under the lock of [`js_methods`]). Only a thread id
/// and key bytes: the JS function stays with its environment.
struct JsMethod {
    js_thread: ThreadId,
    key: Vec<u8>,
}

static JS_METHODS: Mutex<Option<HashMap<String, JsMethod>>> = Mutex::new(None);

fn js_methods() -> MutexGuard<'static, Option<HashMap<String, JsMethod>>> {
    JS_METHODS.lock().unwrap_or_else(|p| p.into_inner())
}

/// A registered JS decryptor.
struct JsDecryptor {
    name: String,
    js_thread: ThreadId,
    /// The `napi_env` of `js_thread`, as an address (only dereferenced on that thread).
    env: usize,
    func: FunctionRef<JsArgs, Decrypted>,
}

thread_local! {
    // (input address, input size) of the last load on this thread whose decryptor gave no
    // data. After an empty answer the runtime asks again (its fill call sees a null buffer
    // and looks like a size query); that repeat is answered from here, so the JS function
    // still runs once per load.
    static FAILED_INPUT: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

thread_local! {
    // The most recent failure of a JS decryptor called by the engine on this thread (name +
    // reason, never key bytes): the decryptor runs on the thread that loads the model.
    static LAST_FAILURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn failure_message(name: &str, reason: &str) -> String {
    format!("the decryption function registered as {name:?} {reason}")
}

/// Why a JS decryptor cannot run on a thread other than the one that registered it.
const OTHER_THREAD: &str =
    "is a JavaScript function of another thread: it runs only on the JS thread that registered it";

/// Keeps why the engine's call of a JS decryptor on this thread gave no data.
fn remember_failure(msg: String) {
    LAST_FAILURE.with(|f| *f.borrow_mut() = Some(msg));
}

/// Why a JS decryptor called on this thread gave no data since the last call (then forgets it).
pub(crate) fn take_thread_failure() -> Option<String> {
    LAST_FAILURE.with(|f| f.borrow_mut().take())
}

/// The decrypted bytes, or why there are none (a whole message, never key bytes).
fn judge(name: &str, r: napi::Result<Decrypted>) -> std::result::Result<Vec<u8>, String> {
    match r {
        Ok(Decrypted(Ok(bytes))) => Ok(bytes),
        Ok(Decrypted(Err(reason))) => Err(failure_message(name, &reason)),
        Err(e) => {
            // A thrown error reaches us as `String(error)`: its message, after its class name.
            let reason = e.reason.strip_prefix("Error: ").unwrap_or(&e.reason);
            Err(failure_message(name, &format!("threw: {reason}")))
        }
    }
}

impl JsDecryptor {
    /// The engine's call, on whatever thread loads the model. It never waits for another
    /// thread: off the JS thread that registered the function it gives no data at once.
    fn decrypt_for_engine(&self, input: &[u8], key: &[u8]) -> Vec<u8> {
        if thread::current().id() != self.js_thread {
            remember_failure(failure_message(&self.name, OTHER_THREAD));
            return Vec::new();
        }
        // We are on the thread that owns this env, inside a native call made from JS (a
        // model load), so the env is live and usable here.
        let env = Env::from_raw(self.env as sys::napi_env);
        match judge(&self.name, self.call(&env, input, key)) {
            Ok(bytes) => bytes,
            Err(msg) => {
                remember_failure(msg);
                Vec::new()
            }
        }
    }

    /// Calls the JS function with private copies of `input` and `key` (on its JS thread).
    fn call(&self, env: &Env, input: &[u8], key: &[u8]) -> napi::Result<Decrypted> {
        self.func.borrow_back(env).and_then(|f| {
            f.call(FnArgs::from((
                Uint8Array::new(input.to_vec()),
                Uint8Array::new(key.to_vec()),
            )))
        })
    }
}

/// The result of [`NativeDecryptor::decrypt`]: the decrypted model, or why there is none.
#[napi(object, object_from_js = false)]
pub struct DecryptOutcome {
    /// The decrypted bytes (a non-empty copy of what the function returned).
    pub data: Option<Buffer>,
    /// Why the function gave no usable data, as the engine's load would report it.
    pub failure: Option<String>,
}

/// A JS decryptor registered by this JS thread, for `@lite/core` to run it outside the engine
/// (before an asynchronous load).
#[napi]
pub struct NativeDecryptor {
    inner: Arc<JsDecryptor>,
}

#[napi]
impl NativeDecryptor {
    /// Runs the decryptor on `input` (on this JS thread) exactly as the engine would: the
    /// function gets private copies of the model bytes and of the method's current key, and
    /// a throw or a result other than a non-empty `Uint8Array` is a failure with the same
    /// reason the engine's load reports.
    #[napi]
    pub fn decrypt(&self, env: Env, input: &[u8]) -> DecryptOutcome {
        let d = &self.inner;
        if thread::current().id() != d.js_thread {
            return DecryptOutcome {
                data: None,
                failure: Some(failure_message(&d.name, OTHER_THREAD)),
            };
        }
        // The key as the engine would pass it now; the lock is not held while JS runs (the
        // function may change keys).
        let key = js_methods()
            .as_ref()
            .and_then(|m| m.get(&d.name).map(|m| m.key.clone()));
        let Some(key) = key else {
            return DecryptOutcome {
                data: None,
                failure: Some(failure_message(&d.name, "is not registered")),
            };
        };
        match judge(&d.name, d.call(&env, input, &key)) {
            Ok(bytes) => DecryptOutcome {
                data: Some(bytes.into()),
                failure: None,
            },
            Err(msg) => DecryptOutcome {
                data: None,
                failure: Some(msg),
            },
        }
    }
}

/// Registers the JS function `func(input, key) => Uint8Array` as the decryption method
/// `name` with `key`. Models loaded with `bareModelCryptionName = name` (or packed with it)
/// go through `func`, once per load, on the JS thread. Returns the handle `@lite/core` runs the
/// function through before an asynchronous load.
#[napi(
    ts_args_type = "name: string, func: (input: Uint8Array, key: Uint8Array) => Uint8Array, key: Uint8Array"
)]
pub fn register_decryption_and_key(
    env: Env,
    name: String,
    func: Function<JsArgs, Decrypted>,
    key: Uint8ArraySlice,
) -> Result<NativeDecryptor> {
    if name.is_empty() {
        return Err(invalid("decryption method name must not be empty"));
    }
    if key.is_empty() {
        return Err(invalid("decryption key must not be empty"));
    }
    let func_ref = func.create_ref().map_err(crate::error::from_napi)?;
    let js_thread = thread::current().id();
    let d = Arc::new(JsDecryptor {
        name: name.clone(),
        js_thread,
        env: env.raw() as usize,
        func: func_ref,
    });
    let engine_side = d.clone();
    let f: megengine::DecryptFn = Arc::new(move |input: &[u8], key: &[u8]| {
        let tag = (input.as_ptr() as usize, input.len());
        if FAILED_INPUT.with(|c| c.take()) == Some(tag) {
            return Vec::new();
        }
        let out = engine_side.decrypt_for_engine(input, key);
        if out.is_empty() {
            FAILED_INPUT.with(|c| c.set(Some(tag)));
        }
        out
    });
    // Held across the engine's registration, so the key kept here and the engine's agree.
    let mut methods = js_methods();
    megengine::register_decryption_and_key(&name, f, &key).js()?;
    methods.get_or_insert_with(HashMap::new).insert(
        name,
        JsMethod {
            js_thread,
            key: key.to_vec(),
        },
    );
    Ok(NativeDecryptor { inner: d })
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
    let mut methods = js_methods();
    megengine::update_decryption(&name, None, &key).js()?;
    if let Some(m) = methods.as_mut().and_then(|m| m.get_mut(&name)) {
        m.key = key.to_vec();
    }
    Ok(())
}

/// Whether `name` is a JS decryption method registered by another JS thread than this one (a
/// worker's, or the main thread's seen from a worker): the engine cannot run it here.
#[napi]
pub fn foreign_decryption_method(name: String) -> bool {
    let me = thread::current().id();
    js_methods()
        .as_ref()
        .and_then(|m| m.get(&name))
        .is_some_and(|m| m.js_thread != me)
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
