//! Process-wide functions of the runtime.

use crate::config::{cstring, Config, NetworkIo};
use crate::enums::{DeviceType, LogLevel};
use crate::error::{api, check, ErrorCode, LiteError, Result};
use megengine_sys::LiteNetworkIO;
use std::cell::RefCell;
use std::collections::HashMap;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Load the runtime now (optionally from `explicit`, e.g. the platform package's
/// library; `LITE_LIB_PATH` still wins). Later calls return the loaded one.
pub fn init(explicit: Option<&Path>) -> Result<()> {
    megengine_sys::load(explicit)
        .map(|_| ())
        .map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))
}

/// Whether the CUDA driver library can be opened on this machine (checked once, without asking
/// the engine, whose CUDA stub prints a banner to stderr when there is none).
pub fn cuda_driver_available() -> bool {
    megengine_sys::cuda_driver_available()
}

/// Path of the loaded runtime library, once [`init`] succeeded.
pub fn library_path() -> Option<&'static Path> {
    megengine_sys::library_path()
}

/// `(major, minor, patch)` of the runtime (loads it if needed).
pub fn version() -> Result<(i32, i32, i32)> {
    let api = api()?;
    let (mut a, mut b, mut c) = (0, 0, 0);
    // SAFETY: three valid out-pointers.
    check(
        api,
        unsafe { (api.LITE_get_version)(&mut a, &mut b, &mut c) },
        "LITE_get_version",
    )?;
    Ok((a, b, c))
}

/// `"M.m.p"`.
pub fn version_string() -> Result<String> {
    let (a, b, c) = version()?;
    Ok(format!("{a}.{b}.{c}"))
}

/// Set the runtime log level.
pub fn set_log_level(level: LogLevel) -> Result<()> {
    let api = api()?;
    // SAFETY: plain value argument.
    check(
        api,
        unsafe { (api.LITE_set_log_level)(level.as_c()) },
        "LITE_set_log_level",
    )
}

/// Silences the runtime's own `lite::print_log` output entirely, including the line it echoes
/// for every exception it turns into an error code (which the ERROR level still prints).
///
/// The C API has no level above ERROR; the 1.13 runtime stores the level it is given before it
/// refuses an unknown one, so level 4 takes effect (and the refusal, printed at level 4, is not
/// printed). Verified by reading the level back: returns whether it took. The refusal's error is
/// cleared.
pub fn silence_runtime_log() -> Result<bool> {
    let api = api()?;
    const BEYOND_ERROR: megengine_sys::LiteLogLevel = 4;
    // SAFETY: plain value arguments and a valid out-pointer.
    unsafe {
        (api.LITE_set_log_level)(BEYOND_ERROR);
        (api.LITE_clear_last_error)();
        let mut now: megengine_sys::LiteLogLevel = 0;
        let rc = (api.LITE_get_log_level)(&mut now);
        Ok(rc == 0 && now == BEYOND_ERROR)
    }
}

/// MegBrain's (the engine core's) log levels, as `mgb::LogLevel`.
pub const MGB_NO_LOG: i32 = 4;

type MgbSetLevel = unsafe extern "C" fn(i32) -> i32;

/// Sets the engine core's log level (`mgb::set_log_level`, a public function of the runtime;
/// 0 DEBUG .. 3 ERROR, 4 none). Returns false when the runtime does not export it.
pub fn set_core_log_level(level: i32) -> bool {
    const NAME: &[u8] = b"_ZN3mgb13set_log_levelENS_8LogLevelE\0";
    let Some(addr) = runtime_symbol_address(NAME) else {
        return false;
    };
    // SAFETY: `mgb::LogLevel mgb::set_log_level(mgb::LogLevel)` takes and returns an int-sized
    // enum (the mangled name pins the signature); the address comes from the loaded runtime.
    unsafe {
        let f = std::mem::transmute::<usize, MgbSetLevel>(addr);
        f(level);
    }
    true
}

/// Turns off the warning the runtime's fork handler prints (through its CUDA stub) on every
/// `fork` of a process without a CUDA driver (`mgb::debug::set_fork_cuda_warning_flag(0)`, a
/// public function of the runtime). Returns false when the runtime does not export it.
pub fn silence_fork_warning() -> bool {
    const NAME: &[u8] = b"_ZN3mgb5debug26set_fork_cuda_warning_flagEi\0";
    let Some(addr) = runtime_symbol_address(NAME) else {
        return false;
    };
    // SAFETY: `void mgb::debug::set_fork_cuda_warning_flag(int)` (the mangled name pins the
    // signature); the address comes from the loaded runtime.
    unsafe {
        let f = std::mem::transmute::<usize, unsafe extern "C" fn(i32)>(addr);
        f(0);
    }
    true
}

/// The engine core's log handler type (`mgb::LogHandler`): level, file, function, line, printf
/// format and its `va_list`.
pub type CoreLogHandler = unsafe extern "C" fn(
    i32,
    *const std::ffi::c_char,
    *const std::ffi::c_char,
    i32,
    *const std::ffi::c_char,
    *mut std::ffi::c_void,
);

/// Installs `handler` as the engine core's log handler (`mgb::set_log_handler`) and returns the
/// previous one; `None` when the runtime does not export it.
///
/// # Safety
/// `handler` must be callable from any engine thread with the documented arguments, for as
/// long as it is installed.
pub unsafe fn set_core_log_handler(
    handler: Option<CoreLogHandler>,
) -> Option<Option<CoreLogHandler>> {
    const NAME: &[u8] = b"_ZN3mgb15set_log_handlerEPFvNS_8LogLevelEPKcS2_iS2_P13__va_list_tagE\0";
    let addr = runtime_symbol_address(NAME)?;
    type SetHandler = unsafe extern "C" fn(Option<CoreLogHandler>) -> Option<CoreLogHandler>;
    // SAFETY: `LogHandler mgb::set_log_handler(LogHandler)` (the mangled name pins the
    // signature; a null handler is allowed); the caller guarantees the handler's contract.
    unsafe {
        let f = std::mem::transmute::<usize, SetHandler>(addr);
        Some(f(handler))
    }
}

/// Current runtime log level.
pub fn get_log_level() -> Result<LogLevel> {
    let api = api()?;
    let mut v = 0;
    // SAFETY: valid out-pointer.
    check(
        api,
        unsafe { (api.LITE_get_log_level)(&mut v) },
        "LITE_get_log_level",
    )?;
    LogLevel::from_c(v)
}

fn path_call(
    what: &str,
    path: &str,
    f: unsafe extern "C" fn(*const std::os::raw::c_char) -> i32,
) -> Result<()> {
    let api = api()?;
    let c = cstring(path, "path")?;
    // SAFETY: `c` is a valid C string alive during the call.
    check(api, unsafe { f(c.as_ptr()) }, what)
}

/// Directory of the loader (custom operator) library.
pub fn set_loader_lib_path(path: &str) -> Result<()> {
    path_call(
        "LITE_set_loader_lib_path",
        path,
        api()?.LITE_set_loader_lib_path,
    )
}

/// Use `path` as the algorithm policy cache.
pub fn set_persistent_cache(path: &str, always_sync: bool) -> Result<()> {
    let api = api()?;
    let c = cstring(path, "path")?;
    // SAFETY: valid C string alive during the call.
    let rc = unsafe { (api.LITE_set_persistent_cache)(c.as_ptr(), always_sync as i32) };
    check(api, rc, "LITE_set_persistent_cache")
}

/// Write the algorithm policy cache to `path`.
pub fn dump_persistent_cache(path: &str) -> Result<()> {
    path_call(
        "LITE_dump_persistent_cache",
        path,
        api()?.LITE_dump_persistent_cache,
    )
}

/// Use `path` as the TensorRT cache.
pub fn set_tensorrt_cache(path: &str) -> Result<()> {
    path_call(
        "LITE_set_tensor_rt_cache",
        path,
        api()?.LITE_set_tensor_rt_cache,
    )
}

/// Write the TensorRT cache.
pub fn dump_tensorrt_cache() -> Result<()> {
    let api = api()?;
    // SAFETY: no arguments.
    check(
        api,
        unsafe { (api.LITE_dump_tensor_rt_cache)() },
        "LITE_dump_tensor_rt_cache",
    )
}

/// Number of devices of `device_type` (0 for CUDA without a GPU).
pub fn device_count(device_type: DeviceType) -> Result<usize> {
    let api = api()?;
    // Without a driver the answer is known, and the engine's own probe prints a banner.
    let device_type = device_type.resolved();
    if device_type == DeviceType::Cuda && !megengine_sys::cuda_driver_available() {
        return Ok(0);
    }
    if device_type == DeviceType::Atlas && !megengine_sys::ascend_runtime_available() {
        return Ok(0);
    }
    let mut n = 0usize;
    // SAFETY: valid out-pointer.
    let rc = unsafe { (api.LITE_get_device_count)(device_type.as_c(), &mut n) };
    check(api, rc, "LITE_get_device_count")?;
    Ok(n)
}

/// Return cached free memory to the allocator.
pub fn try_coalesce_all_free_memory() -> Result<()> {
    let api = api()?;
    // SAFETY: no arguments.
    check(
        api,
        unsafe { (api.LITE_try_coalesce_all_free_memory)() },
        "LITE_try_coalesce_all_free_memory",
    )
}

// Query results live in a runtime table keyed by the pointer we pass; serialise our
// queries so nobody overwrites an entry while we copy it.
static IO_INFO_LOCK: Mutex<()> = Mutex::new(());

/// Inputs/outputs of the model file at `path`.
pub fn get_model_io_info_by_path(path: &str, config: &Config) -> Result<NetworkIo> {
    let api = api()?;
    let c = cstring(path, "model path")?;
    if config.bare_model_cryption_name.is_empty() {
        crate::network::check_file_structure(Path::new(path))?;
    }
    let cfg = config.to_c()?;
    let _g = IO_INFO_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut ios = LiteNetworkIO::default();
    // SAFETY: valid C string, config (with its strings alive) and out-pointer.
    let rc = unsafe { (api.LITE_get_model_io_info_by_path)(c.as_ptr(), cfg.raw, &mut ios) };
    check(api, rc, "LITE_get_model_io_info_by_path")?;
    // SAFETY: the runtime filled `ios` with arrays that stay valid until the next query
    // with the same key pointer (`c`, still alive, and we hold IO_INFO_LOCK).
    unsafe { NetworkIo::from_c(&ios) }
}

/// Inputs/outputs of a model in memory.
pub fn get_model_io_info_by_memory(model: &[u8], config: &Config) -> Result<NetworkIo> {
    if model.is_empty() {
        return Err(LiteError::invalid("model data is empty"));
    }
    if config.bare_model_cryption_name.is_empty() {
        crate::network::check_structure(model)?;
    }
    let api = api()?;
    let cfg = config.to_c()?;
    let _g = IO_INFO_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut ios = LiteNetworkIO::default();
    // SAFETY: `model` is a live slice of `len` bytes; config and out-pointer valid.
    let rc = unsafe {
        (api.LITE_get_model_io_info_by_memory)(
            model.as_ptr() as *const c_void,
            model.len(),
            cfg.raw,
            &mut ios,
        )
    };
    check(api, rc, "LITE_get_model_io_info_by_memory")?;
    // SAFETY: as in get_model_io_info_by_path.
    unsafe { NetworkIo::from_c(&ios) }
}

// ------------------------------------------------------------ decryption

/// A decryption function: `(encrypted model, key) -> decrypted model`.
pub type DecryptFn = Arc<dyn Fn(&[u8], &[u8]) -> Vec<u8> + Send + Sync>;

/// Number of closure-based decryption methods that can be registered per process
/// (the C callback has no user-data pointer, so each one needs its own trampoline).
pub const MAX_DECRYPTION_METHODS: usize = 16;

struct Registry {
    by_name: HashMap<String, usize>,
    slots: Vec<Option<DecryptFn>>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// (slot, input address, input size, decrypted bytes) of the last size query.
type Pending = Option<(usize, usize, usize, Vec<u8>)>;

thread_local! {
    // The runtime calls a decryption function twice in a row on the same thread: first
    // to query the size, then to fill. The first call's result is kept here.
    static PENDING: RefCell<Pending> = const { RefCell::new(None) };
}

fn slot_fn(i: usize) -> Option<DecryptFn> {
    let g = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    g.as_ref().and_then(|r| r.slots.get(i).cloned().flatten())
}

unsafe extern "C" fn decrypt_trampoline<const I: usize>(
    input: *const c_void,
    input_size: usize,
    key: *const u8,
    key_size: usize,
    output: *const c_void,
) -> usize {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let tag = (I, input as usize, input_size);
        if output.is_null() {
            let Some(f) = slot_fn(I) else { return 0 };
            let inp: &[u8] = if input.is_null() || input_size == 0 {
                &[]
            } else {
                // SAFETY: the runtime passes `input_size` readable bytes at `input`.
                unsafe { std::slice::from_raw_parts(input as *const u8, input_size) }
            };
            let k: &[u8] = if key.is_null() || key_size == 0 {
                &[]
            } else {
                // SAFETY: the runtime passes `key_size` readable bytes at `key`.
                unsafe { std::slice::from_raw_parts(key, key_size) }
            };
            let out = f(inp, k);
            let n = out.len();
            PENDING.with(|p| *p.borrow_mut() = Some((tag.0, tag.1, tag.2, out)));
            n
        } else {
            let Some((i, a, s, out)) = PENDING.with(|p| p.borrow_mut().take()) else {
                return 0;
            };
            if (i, a, s) != tag {
                return 0;
            }
            // SAFETY: the runtime allocated exactly the size we returned for this input
            // on the previous call and passes it as `output`.
            unsafe { std::ptr::copy_nonoverlapping(out.as_ptr(), output as *mut u8, out.len()) };
            out.len()
        }
    }));
    r.unwrap_or(0)
}

type RawDecrypt =
    unsafe extern "C" fn(*const c_void, usize, *const u8, usize, *const c_void) -> usize;

const TRAMPOLINES: [RawDecrypt; MAX_DECRYPTION_METHODS] = [
    decrypt_trampoline::<0>,
    decrypt_trampoline::<1>,
    decrypt_trampoline::<2>,
    decrypt_trampoline::<3>,
    decrypt_trampoline::<4>,
    decrypt_trampoline::<5>,
    decrypt_trampoline::<6>,
    decrypt_trampoline::<7>,
    decrypt_trampoline::<8>,
    decrypt_trampoline::<9>,
    decrypt_trampoline::<10>,
    decrypt_trampoline::<11>,
    decrypt_trampoline::<12>,
    decrypt_trampoline::<13>,
    decrypt_trampoline::<14>,
    decrypt_trampoline::<15>,
];

/// Register a decryption method `name` implemented by a Rust closure, with `key`.
/// Models loaded with `bare_model_cryption_name = name` (or packed with it) are passed
/// through `f` (called on the thread that loads the model).
///
/// At most [`MAX_DECRYPTION_METHODS`] names per process. Registering a name twice is
/// rejected by the runtime; use [`update_decryption`] to replace the function or key.
pub fn register_decryption_and_key(name: &str, f: DecryptFn, key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(LiteError::invalid("decryption key must not be empty"));
    }
    let api = api()?;
    let c = cstring(name, "decryption name")?;
    let mut g = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let reg = g.get_or_insert_with(|| Registry {
        by_name: HashMap::new(),
        slots: vec![None; MAX_DECRYPTION_METHODS],
    });
    if reg.by_name.contains_key(name) {
        return Err(LiteError::invalid(format!(
            "decryption method {name:?} is already registered"
        )));
    }
    let i = reg.slots.iter().position(|s| s.is_none()).ok_or_else(|| {
        LiteError::unsupported(format!(
            "at most {MAX_DECRYPTION_METHODS} decryption methods can be registered"
        ))
    })?;
    reg.slots[i] = Some(f);
    // SAFETY: valid C string and key slice; the trampoline is a 'static function.
    let rc = unsafe {
        (api.LITE_register_decryption_and_key)(
            c.as_ptr(),
            Some(TRAMPOLINES[i]),
            key.as_ptr(),
            key.len(),
        )
    };
    if let Err(e) = check(api, rc, "LITE_register_decryption_and_key") {
        reg.slots[i] = None;
        return Err(e);
    }
    reg.by_name.insert(name.to_string(), i);
    Ok(())
}

/// Update the function and/or key of a decryption method (including the built-ins
/// `"AES_default"`, `"RC4_default"`, `"SIMPLE_FAST_RC4_default"`). `None`/empty key
/// leaves that part unchanged. Closures can only replace closure-registered methods.
pub fn update_decryption(name: &str, f: Option<DecryptFn>, key: &[u8]) -> Result<()> {
    let api = api()?;
    let c = cstring(name, "decryption name")?;
    let mut tramp: megengine_sys::LiteDecryptionFunc = None;
    if let Some(f) = f {
        let mut g = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        let i = g
            .as_ref()
            .and_then(|r| r.by_name.get(name).copied())
            .ok_or_else(|| {
                LiteError::invalid(format!("{name:?} was not registered with a Rust closure"))
            })?;
        if let Some(r) = g.as_mut() {
            r.slots[i] = Some(f);
        }
        tramp = Some(TRAMPOLINES[i]);
    }
    // SAFETY: valid C string; key pointer valid for key.len() bytes (unused when 0).
    let rc =
        unsafe { (api.LITE_update_decryption_or_key)(c.as_ptr(), tramp, key.as_ptr(), key.len()) };
    check(api, rc, "LITE_update_decryption_or_key")
}

/// Address of `name` (NUL-terminated) as defined by the loaded runtime library itself.
pub fn runtime_symbol_address(name: &[u8]) -> Option<usize> {
    megengine_sys::runtime_symbol_address(name)
}
