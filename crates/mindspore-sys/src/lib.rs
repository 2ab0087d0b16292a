//! Raw FFI of our C shim over MindSpore Lite 2.0.0 (`shim/lite_mindspore_shim.h`).
//!
//! Nothing is linked at build time: [`load`] opens `liblite_mindspore_shim.so` with libloading
//! (which pulls in the runtime it is linked to through its DT_RPATH `$ORIGIN`), resolves every
//! entry point once into an [`Api`] table, checks the shim's ABI version and installs the log
//! capture. A process that never calls [`load`] never maps a byte of MindSpore.
//!
//! Runtime folder lookup order (the folder holds the 11 CPU libraries and our shim):
//! 1. `MINDSPORE_LITE_LIB_DIR` (always wins),
//! 2. the explicit folder given to [`load`] (e.g. from the platform runtime package),
//! 3. the fetcher's cache: `<cache root>/runtime/`[`RUNTIME_SUBDIR`].
//!
//! Facts about the runtime behind these functions (2.0.0, x86_64):
//! - glog reads `GLOG_v` once, when the libraries load: [`load`] sets it to 3 (errors only)
//!   unless the user set it, and then keeps glog off stderr (errors reach us through the shim's
//!   log capture and end up in error messages instead). The engine resets glog to stderr in
//!   every Build (`common_log_init`); the interposer [`LOGQUIET_FILE_NAME`], loaded globally
//!   first, undoes that. A user who sets `GLOG_v` gets the engine's own logging untouched.
//! - `Status::ToString()` is only "Common error code."; the shim appends the reason the engine
//!   logged during the failing call.
//! - Output memory belongs to the model and is valid until its next predict, resize or free.

#![warn(missing_docs)]

mod api;

pub use api::*;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The pinned runtime version (the runtime's own `Version()` returns an empty string).
pub const VERSION: &str = "2.0.0";
/// The runtime platform key of this build (`tools/runtime/mindspore-runtime.json`), as a literal.
#[cfg(target_arch = "aarch64")]
macro_rules! platform_key {
    () => {
        "linux-arm64"
    };
}
#[cfg(not(target_arch = "aarch64"))]
macro_rules! platform_key {
    () => {
        "linux-x64"
    };
}
/// Runtime folder name inside the cache (`mindspore-<version>-<os>-<arch>`).
pub const RUNTIME_SUBDIR: &str = concat!("mindspore-2.0.0-", platform_key!());
/// File name of our shim inside the runtime folder.
pub const SHIM_FILE_NAME: &str = "liblite_mindspore_shim.so";
/// File name of the glog-quieting interposer (`shim/lite_mindspore_logquiet.c`), beside the shim.
pub const LOGQUIET_FILE_NAME: &str = "liblite_mindspore_logquiet.so";
/// File name of our converter shim (`shim/lite_mindspore_convert.cc`), beside the shim.
pub const CONVERT_FILE_NAME: &str = "liblite_mindspore_convert.so";
/// The library that proves a folder holds the runtime.
pub const RUNTIME_MARKER: &str = "libmindspore-extendrt_python.so";

const HOWTO: &str = concat!(
    "run `node tools/runtime/fetch-runtime.mjs --engine mindspore` (part of `bash tools/setup.sh`), install @lite/runtime-mindspore-",
    platform_key!(),
    "-gnu (an optional dependency of @lite/mindspore), or set MINDSPORE_LITE_LIB_DIR to a folder holding the \
     MindSpore Lite 2.0.0 CPU libraries and liblite_mindspore_shim.so"
);

struct Loaded {
    api: Api,
    _logquiet: Option<libloading::os::unix::Library>,
    dir: PathBuf,
    quiet: bool,
}

static LOADED: OnceLock<Loaded> = OnceLock::new();
static LOAD_LOCK: Mutex<()> = Mutex::new(());

/// Decide which folder to load from: `MINDSPORE_LITE_LIB_DIR`, else `explicit`, else the cache.
/// Returns the folder and where it came from.
pub fn resolve_dir(explicit: Option<&Path>) -> Result<(PathBuf, &'static str), String> {
    if let Some(p) = std::env::var_os("MINDSPORE_LITE_LIB_DIR").filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(p), "MINDSPORE_LITE_LIB_DIR"));
    }
    if let Some(p) = explicit {
        return Ok((p.to_path_buf(), "runtime package"));
    }
    match lite_sys::cache_root() {
        Some(root) => Ok((root.join("runtime").join(RUNTIME_SUBDIR), "runtime cache")),
        None => Err(format!(
            "MindSpore Lite runtime not found: MINDSPORE_LITE_LIB_DIR is not set and no cache folder \
             could be derived (LITE_CACHE_DIR, XDG_CACHE_HOME and HOME are unset); {HOWTO}"
        )),
    }
}

/// Load the shim (and through it the runtime) once and return its function table.
///
/// Sets `GLOG_v=3` first unless `GLOG_v` is set (call this from the thread that owns the
/// environment, e.g. the JS thread, before any other thread reads it). The first success is
/// kept for the life of the process; a failure is not, so a later call may succeed.
pub fn load(explicit: Option<&Path>) -> Result<&'static Api, String> {
    if let Some(l) = LOADED.get() {
        return Ok(&l.api);
    }
    let _guard = LOAD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(l) = LOADED.get() {
        return Ok(&l.api);
    }
    let (dir, origin) = resolve_dir(explicit)?;
    if !dir.join(RUNTIME_MARKER).is_file() {
        return Err(format!(
            "MindSpore Lite runtime not found: {} (from {origin}) has no {RUNTIME_MARKER}; {HOWTO}",
            dir.display()
        ));
    }
    let shim = dir.join(SHIM_FILE_NAME);
    if !shim.is_file() {
        return Err(format!(
            "MindSpore Lite runtime at {} (from {origin}) lacks our shim {SHIM_FILE_NAME}: build it with \
             `node tools/runtime/build-mindspore-shim.mjs --dir {}`",
            dir.display(),
            dir.display()
        ));
    }
    let quiet = std::env::var_os("GLOG_v").is_none();
    let mut logquiet = None;
    if quiet {
        std::env::set_var("GLOG_v", OsString::from("3"));
        let path = dir.join(LOGQUIET_FILE_NAME);
        // SAFETY: a dependency-free library of ours whose only export is `common_log_init` and
        // which has no initialisers. It must be global so the engine's calls resolve to it.
        let lib = unsafe {
            libloading::os::unix::Library::open(
                Some(&path),
                libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
            )
        }
        .map_err(|e| {
            format!(
                "failed to load {} (from {origin}): {e}; rebuild it with \
                 `node tools/runtime/build-mindspore-shim.mjs --dir {}`",
                path.display(),
                dir.display()
            )
        })?;
        logquiet = Some(lib);
    }
    // SAFETY: loading runs the initialisers of the shim and the MindSpore runtime it links;
    // they have no preconditions beyond a sane process (glog reads GLOG_v set above).
    let lib = unsafe { libloading::Library::new(&shim) }.map_err(|e| {
        format!(
            "failed to load the MindSpore Lite runtime from {} (from {origin}): {e}; {HOWTO}",
            dir.display()
        )
    })?;
    let api = Api::resolve(lib).map_err(|e| format!("{e} ({}); {HOWTO}", shim.display()))?;
    // SAFETY: takes no arguments and only returns a constant.
    let abi = unsafe { (api.lms_abi_version)() };
    if abi != ABI_VERSION {
        return Err(format!(
            "{} speaks shim ABI {abi}, this binding needs {ABI_VERSION}: rebuild it with \
             `node tools/runtime/build-mindspore-shim.mjs --dir {}`",
            shim.display(),
            dir.display()
        ));
    }
    // SAFETY: idempotent; installs the log sink (and, when quiet, points glog away from stderr).
    unsafe { (api.lms_init)(i32::from(quiet)) };
    let loaded = LOADED.get_or_init(|| Loaded {
        api,
        _logquiet: logquiet,
        dir,
        quiet,
    });
    Ok(&loaded.api)
}

/// Folder of the loaded runtime, if [`load`] has succeeded.
pub fn runtime_dir() -> Option<&'static Path> {
    LOADED.get().map(|l| l.dir.as_path())
}

/// Whether glog was kept off stderr (the user had not set `GLOG_v`), if loaded.
pub fn glog_quiet() -> Option<bool> {
    LOADED.get().map(|l| l.quiet)
}

static CONVERTER: OnceLock<ConvertApi> = OnceLock::new();

/// Load the converter shim (and through it `libmindspore_converter.so`) once, after [`load`]
/// (which sets the logging up), from the same folder. Inference alone never loads it.
pub fn load_converter(explicit: Option<&Path>) -> Result<&'static ConvertApi, String> {
    if let Some(c) = CONVERTER.get() {
        return Ok(c);
    }
    load(explicit)?;
    let _guard = LOAD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = CONVERTER.get() {
        return Ok(c);
    }
    let loaded = LOADED
        .get()
        .ok_or_else(|| "MindSpore Lite runtime not loaded".to_string())?;
    let dir = &loaded.dir;
    let path = dir.join(CONVERT_FILE_NAME);
    let rebuild = format!(
        "build it with `node tools/runtime/build-mindspore-shim.mjs --dir {}`",
        dir.display()
    );
    if !path.is_file() {
        return Err(format!(
            "the MindSpore Lite runtime at {} lacks our converter shim {CONVERT_FILE_NAME}: {rebuild}",
            dir.display()
        ));
    }
    // SAFETY: runs the initialisers of our converter shim and libmindspore_converter.so (op
    // registrations); the runtime they share was loaded and set up by `load` above.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| {
        format!(
            "failed to load the MindSpore Lite converter from {}: {e}",
            path.display()
        )
    })?;
    let api =
        ConvertApi::resolve(lib).map_err(|e| format!("{e} ({}); {rebuild}", path.display()))?;
    // SAFETY: takes no arguments and only returns a constant.
    let abi = unsafe { (api.lmc_abi_version)() };
    if abi != CONVERT_ABI_VERSION {
        return Err(format!(
            "{} speaks converter ABI {abi}, this binding needs {CONVERT_ABI_VERSION}: {rebuild}",
            path.display()
        ));
    }
    // SAFETY: idempotent; installs this shim's log sink (quiet as decided by `load`).
    unsafe { (api.lmc_init)(i32::from(loaded.quiet)) };
    Ok(CONVERTER.get_or_init(|| api))
}
