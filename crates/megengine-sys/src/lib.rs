//! Raw FFI of the MegEngine Lite C API ("lite-c") as shipped in MegEngine 1.13.
//!
//! Nothing is linked at build time: [`load`] opens the shared library at run time
//! (libloading), resolves every function once into an [`Api`] table and checks the
//! runtime version. Structs are `#[repr(C)]` mirrors of the 1.13 headers; enums are
//! `c_int` aliases with constants.
//!
//! Library lookup order:
//! 1. `LITE_LIB_PATH` (an explicit file; always wins),
//! 2. the explicit path given to [`load`] (e.g. from the platform runtime package),
//! 3. the local cache written by the fetcher:
//!    `${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}/runtime/`
//!    [`RUNTIME_SUBDIR`]`/megenginelite/libs/liblite_shared_whl.so`.
//!
//! Facts about the runtime worth knowing when calling these functions directly:
//! - `LITE_get_last_error` returns a pointer into one *process-global* string that any
//!   later failing call (on any thread) replaces; copy it immediately.
//! - `LITE_get_last_error_code` is sticky: successful calls do not reset it. Use the
//!   return value of each call to detect failure.
//! - Tensors from `LITE_get_io_tensor` / `LITE_get_discrete_tensor` and the callbacks
//!   belong to the network and die with it; `LITE_destroy_tensor` only releases tensors
//!   from `LITE_make_tensor`, `LITE_tensor_slice` and `LITE_tensor_concat`.
//! - Layout rank must be `< LAYOUT_MAX_DIM` (i.e. at most 6) or the call fails.

#![warn(missing_docs)]

mod api;
mod types;

pub use api::Api;
pub use types::*;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Runtime directory name inside the cache (`megengine-<version>-<os>-<arch>`, the platform
/// keys of `tools/runtime/runtime.json`).
#[cfg(target_os = "macos")]
pub const RUNTIME_SUBDIR: &str = "megengine-1.13.0-darwin-x64";
/// Runtime directory name inside the cache (`megengine-<version>-<os>-<arch>`, the platform
/// keys of `tools/runtime/runtime.json`).
#[cfg(not(target_os = "macos"))]
pub const RUNTIME_SUBDIR: &str = "megengine-1.13.0-linux-x64";

/// File name of the lite shared library as extracted by the fetcher (the wheel's
/// `liblite_shared_whl.cpython-310-<platform>.so`, renamed; a Mach-O dylib on macOS).
pub const LIB_FILE_NAME: &str = "liblite_shared_whl.so";

/// Required major version of the runtime.
pub const REQUIRED_MAJOR: i32 = 1;
/// Minimum minor version of the runtime (struct layouts of 1.13 are assumed).
pub const MIN_MINOR: i32 = 13;

/// What to do about a missing runtime, for package users first (`pnpm run setup` exists only in
/// a clone of the repository, so it is named as such).
const HOWTO: &str =
    "reinstall @lite/core so that its platform package is installed, or set LITE_LIB_PATH \
     to a MegEngine Lite 1.13 library (liblite_shared_whl.so); in a clone of the repository, \
     `pnpm run setup` fetches it";

struct Loaded {
    api: Api,
    path: PathBuf,
    version: (i32, i32, i32),
}

static LOADED: OnceLock<Loaded> = OnceLock::new();
static LOAD_LOCK: Mutex<()> = Mutex::new(());

pub use lite_common::cache_root;

/// The default cache location of the runtime library, computed from the environment
/// (`LITE_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME`). `None` if none of them is set.
pub fn cache_library_path() -> Option<PathBuf> {
    cache_root().map(|root| library_in_cache(&root))
}

/// The runtime library's path under a cache root.
fn library_in_cache(root: &Path) -> PathBuf {
    root.join("runtime")
        .join(RUNTIME_SUBDIR)
        .join("megenginelite")
        .join("libs")
        .join(LIB_FILE_NAME)
}

/// Decide which file to load: `LITE_LIB_PATH`, else `explicit`, else the cache path.
/// Returns the path and a short description of where it came from.
pub fn resolve_library_path(explicit: Option<&Path>) -> Result<(PathBuf, &'static str), String> {
    lite_common::runtime_location("LITE_LIB_PATH", explicit, "explicit path", |root| {
        library_in_cache(&root)
    })
    .ok_or_else(|| {
        format!(
            "MegEngine Lite runtime not found: LITE_LIB_PATH is not set and no cache \
             directory could be derived (LITE_CACHE_DIR, XDG_CACHE_HOME and HOME are unset); {HOWTO}"
        )
    })
}

/// Load the runtime once and return its function table.
///
/// The first successful call wins and is cached for the life of the process (the
/// library is never unloaded); later calls return the same table whatever `explicit`
/// says. A failure is not cached, so a later call may succeed (e.g. after setup).
/// The error message says what is missing and how to get it.
pub fn load(explicit: Option<&Path>) -> Result<&'static Api, String> {
    lite_common::load_once(&LOADED, &LOAD_LOCK, || load_library(explicit)).map(|l| &l.api)
}

/// Finds, opens and checks the runtime library (called once, under the load lock).
fn load_library(explicit: Option<&Path>) -> Result<Loaded, String> {
    let (path, origin) = resolve_library_path(explicit)?;
    if !path.is_file() {
        return Err(format!(
            "MegEngine Lite runtime not found: {} (from {origin}) does not exist; {HOWTO}",
            path.display()
        ));
    }
    // SAFETY: loading a shared library runs its initialisers; this is the MegEngine
    // Lite runtime chosen by the user/setup, whose initialisers have no preconditions.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| {
        format!(
            "failed to load the MegEngine Lite runtime {} (from {origin}): {e}; {HOWTO}",
            path.display()
        )
    })?;
    let api = Api::resolve(lib).map_err(|e| format!("{e} ({}); {HOWTO}", path.display()))?;
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: the three out-pointers point to live, writable i32 locals.
    let rc = unsafe { (api.LITE_get_version)(&mut major, &mut minor, &mut patch) };
    if rc != 0 {
        return Err(format!(
            "LITE_get_version failed (code {rc}) for {}; {HOWTO}",
            path.display()
        ));
    }
    if major != REQUIRED_MAJOR || minor < MIN_MINOR {
        return Err(format!(
            "incompatible MegEngine Lite runtime {major}.{minor}.{patch} at {}: \
             version {REQUIRED_MAJOR}.x with x >= {MIN_MINOR} is required; {HOWTO}",
            path.display()
        ));
    }
    Ok(Loaded {
        api,
        path,
        version: (major, minor, patch),
    })
}

/// Path of the loaded library, if [`load`] has succeeded.
pub fn library_path() -> Option<&'static Path> {
    LOADED.get().map(|l| l.path.as_path())
}

/// `(major, minor, patch)` of the loaded library, if [`load`] has succeeded.
pub fn loaded_version() -> Option<(i32, i32, i32)> {
    LOADED.get().map(|l| l.version)
}

/// Candidate files of the CUDA driver library, in the order MegEngine's CUDA stub tries them
/// (`LD_LIBRARY_PATH` and `CUDA_TK_PATH` directories, the loader's own search, then two fixed
/// paths), so that "we can open one" means "the engine would find one".
fn cuda_driver_candidates() -> Vec<PathBuf> {
    #[cfg(target_os = "macos")]
    const NAME: &str = "libcuda.dylib";
    #[cfg(not(target_os = "macos"))]
    const NAME: &str = "libcuda.so.1";
    #[cfg(target_os = "macos")]
    const FIXED: &[&str] = &["/usr/local/cuda/lib/libcuda.dylib"];
    #[cfg(not(target_os = "macos"))]
    const FIXED: &[&str] = &[
        "/usr/lib/x86_64-linux-gnu/libcuda.so",
        "/usr/local/nvidia/lib64/libcuda.so",
    ];
    let mut out = Vec::new();
    for var in ["LD_LIBRARY_PATH", "CUDA_TK_PATH"] {
        if let Some(dirs) = std::env::var_os(var) {
            out.extend(
                std::env::split_paths(&dirs)
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(|d| d.join(NAME)),
            );
        }
    }
    out.push(PathBuf::from(NAME));
    out.extend(FIXED.iter().map(PathBuf::from));
    out
}

/// Whether the CUDA driver library can be opened (checked once per process).
///
/// MegEngine's CUDA stub prints an 8-line banner to stderr whenever anything asks the engine
/// about CUDA on a machine without a driver, and no log level silences it. Asking this first
/// lets callers answer "no CUDA device" without touching the engine.
pub fn cuda_driver_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        cuda_driver_candidates().iter().any(|p| {
            // SAFETY: opening the NVIDIA driver library runs its initialisers, which have no
            // preconditions; the engine opens the same file the same way when CUDA is used.
            unsafe { libloading::Library::new(p) }.is_ok()
        })
    })
}

/// Whether the Ascend runtime library that the engine's Atlas support opens (`libascendcl.so`,
/// on the library path or in its default install folder) can be loaded here. Without it the
/// engine's own probe prints two `err:` lines to stderr and finds no device. Checked once.
pub fn ascend_runtime_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        [
            "libascendcl.so",
            "/usr/local/Ascend/acllib/lib64/libascendcl.so",
        ]
        .iter()
        .any(|p| {
            // SAFETY: opening the Ascend runtime runs its initialisers, which have no
            // preconditions; the engine opens the same file the same way for Atlas.
            unsafe { libloading::Library::new(p) }.is_ok()
        })
    })
}

/// Address of `name` (NUL-terminated) as defined in the loaded runtime library itself (not an
/// interposed definition elsewhere in the process), if the runtime is loaded and defines it.
pub fn runtime_symbol_address(name: &[u8]) -> Option<usize> {
    let loaded = LOADED.get()?;
    // SAFETY: the symbol is only read as an address (never called here); the library stays
    // loaded for the life of the process (`LOADED` is never dropped).
    let sym = unsafe { loaded.api._lib.get::<*const std::ffi::c_void>(name) }.ok()?;
    Some(*sym as usize)
}
