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
//! Facts about the runtime behind these functions (2.0.0, x86_64 and aarch64):
//! - Unless the user set `GLOG_v` (read, never written), [`load`] keeps glog off stderr: errors
//!   reach us through the shim's log capture and end up in error messages instead. The engine
//!   resets glog to stderr from `common_log_init`, which it calls when its core library loads
//!   and again in every Build; the engine offers no setting that stops it. So the interposer
//!   [`LOGQUIET_FILE_NAME`] (loaded globally first) lets the first call through and answers the
//!   later ones itself, with glog kept off stderr. It is only loaded after the target was
//!   verified: `common_log_init` in the runtime's `libmindspore_core.so` must hold the pinned
//!   runtime's exact bytes ([`verify_log_target`]); otherwise the engine is left alone and
//!   its error lines reach stderr. A user who sets `GLOG_v` gets the engine's own logging.
//! - `Status::ToString()` is only "Common error code."; the shim appends the reason the engine
//!   logged during the failing call.
//! - Output memory belongs to the model and is valid until its next predict, resize or free.

#![warn(missing_docs)]

mod api;

pub use api::*;

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
    lite_common::runtime_location("MINDSPORE_LITE_LIB_DIR", explicit, "runtime package", |root| {
        root.join("runtime").join(RUNTIME_SUBDIR)
    })
    .ok_or_else(|| {
        format!(
            "MindSpore Lite runtime not found: MINDSPORE_LITE_LIB_DIR is not set and no cache folder \
             could be derived (LITE_CACHE_DIR, XDG_CACHE_HOME and HOME are unset); {HOWTO}"
        )
    })
}

/// Load the shim (and through it the runtime) once and return its function table.
///
/// The first success is kept for the life of the process; a failure is not, so a later call may
/// succeed. Never writes the environment.
pub fn load(explicit: Option<&Path>) -> Result<&'static Api, String> {
    lite_common::load_once(&LOADED, &LOAD_LOCK, || load_shim(explicit)).map(|l| &l.api)
}

/// Finds, opens and checks the shim and the runtime (called once, under the load lock).
fn load_shim(explicit: Option<&Path>) -> Result<Loaded, String> {
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
    let quiet = std::env::var_os("GLOG_v").is_none() && verify_log_target(&dir);
    let mut logquiet = None;
    if quiet {
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
    // they have no preconditions beyond a sane process.
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
    Ok(Loaded {
        api,
        _logquiet: logquiet,
        dir,
        quiet,
    })
}

/// Folder of the loaded runtime, if [`load`] has succeeded.
pub fn runtime_dir() -> Option<&'static Path> {
    LOADED.get().map(|l| l.dir.as_path())
}

static CONVERTER: OnceLock<ConvertApi> = OnceLock::new();

/// Load the converter shim (and through it `libmindspore_converter.so`) once, after [`load`]
/// (which sets the logging up), from the same folder. Inference alone never loads it.
pub fn load_converter(explicit: Option<&Path>) -> Result<&'static ConvertApi, String> {
    // Once the converter is loaded, so is the runtime: `load` then returns at once.
    load(explicit)?;
    lite_common::load_once(&CONVERTER, &LOAD_LOCK, open_converter)
}

/// Opens and checks the converter shim beside the loaded runtime (called once, under the load lock).
fn open_converter() -> Result<ConvertApi, String> {
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
    Ok(api)
}

/// The first bytes of `common_log_init` in the pinned runtime's `libmindspore_core.so` (2.0.0,
/// linux-x64): the function the log interposer stands in for. Its RIP-relative operands pin
/// this exact build.
#[cfg(target_arch = "x86_64")]
const LOG_TARGET_BYTES: &[u8] = &[
    0x41, 0x57, 0x41, 0x56, 0x48, 0x8d, 0x35, 0x42, 0xb9, 0x9f, 0x00, 0x41, 0x55, 0x41, 0x54, 0x55,
    0x53, 0x48, 0x81, 0xec, 0xa8, 0x00, 0x00, 0x00, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00,
    0x00, 0x48, 0x89, 0x84, 0x24, 0x98, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x48, 0x8b, 0x05, 0x0e, 0x08,
];
/// The same for the pinned linux-arm64 runtime (the `cp37-none-any` wheel's aarch64
/// `libmindspore_core.so`): its ADRP page offsets pin this exact build. Its glog exports the same
/// three flags the interposer writes.
#[cfg(target_arch = "aarch64")]
const LOG_TARGET_BYTES: &[u8] = &[
    0xfd, 0x7b, 0xb0, 0xa9, 0xa4, 0x70, 0x00, 0xd0, 0x03, 0x71, 0x00, 0xb0, 0xfd, 0x03, 0x00, 0x91,
    0xf5, 0x5b, 0x02, 0xa9, 0x16, 0x71, 0x00, 0xb0, 0x84, 0x04, 0x43, 0xf9, 0xb5, 0x03, 0x03, 0x91,
    0xc1, 0x1a, 0x46, 0xf9, 0xe0, 0x03, 0x15, 0xaa, 0x63, 0x68, 0x44, 0xf9, 0x25, 0x00, 0x40, 0xf9,
];
/// Not pinned on other architectures: the engine is left alone there.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const LOG_TARGET_BYTES: &[u8] = &[];

/// Whether `dir`'s `libmindspore_core.so` defines `common_log_init` with exactly the pinned
/// bytes ([`LOG_TARGET_BYTES`]), read from the file before anything is loaded.
pub fn verify_log_target(dir: &Path) -> bool {
    !LOG_TARGET_BYTES.is_empty()
        && elf_symbol_bytes(
            &dir.join("libmindspore_core.so"),
            b"common_log_init",
            LOG_TARGET_BYTES.len(),
        )
        .is_some_and(|b| b == LOG_TARGET_BYTES)
}

/// The first `len` bytes of the dynamic symbol `name` in the ELF64 little-endian file `path`.
fn elf_symbol_bytes(path: &Path, name: &[u8], len: usize) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let mut read_at = |offset: u64, n: usize| -> Option<Vec<u8>> {
        let mut buf = vec![0u8; n];
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    };
    let u16_at = |b: &[u8], o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |b: &[u8], o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |b: &[u8], o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    let header = read_at(0, 64)?;
    // ELF magic, 64-bit, little-endian.
    if header.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = u64_at(&header, 0x28)?;
    let shentsize = usize::from(u16_at(&header, 0x3a)?);
    let shnum = usize::from(u16_at(&header, 0x3c)?);
    if shentsize < 64 || shnum == 0 || shnum > 4096 {
        return None;
    }
    let table = read_at(shoff, shentsize.checked_mul(shnum)?)?;
    let section = |i: usize| table.get(i * shentsize..(i + 1) * shentsize);
    // (type, addr, offset, size, link) of each section.
    let info = |s: &[u8]| -> Option<(u32, u64, u64, u64, u32)> {
        Some((
            u32_at(s, 4)?,
            u64_at(s, 0x10)?,
            u64_at(s, 0x18)?,
            u64_at(s, 0x20)?,
            u32_at(s, 0x28)?,
        ))
    };
    const SHT_DYNSYM: u32 = 11;
    const MAX_TABLE: u64 = 64 << 20;
    let dynsym = (0..shnum).find_map(|i| info(section(i)?).filter(|s| s.0 == SHT_DYNSYM))?;
    let strtab = info(section(usize::try_from(dynsym.4).ok()?)?)?;
    if dynsym.3 > MAX_TABLE || strtab.3 > MAX_TABLE {
        return None;
    }
    let symbols = read_at(dynsym.2, usize::try_from(dynsym.3).ok()?)?;
    let strings = read_at(strtab.2, usize::try_from(strtab.3).ok()?)?;
    let value = symbols.chunks_exact(24).find_map(|sym| {
        let start = usize::try_from(u32_at(sym, 0)?).ok()?;
        let rest = strings.get(start..)?;
        let end = rest.iter().position(|&c| c == 0)?;
        (&rest[..end] == name).then(|| u64_at(sym, 8)).flatten()
    })?;
    // The file offset of the address: through the section that holds it.
    let (_, addr, offset, _, _) = (0..shnum).find_map(|i| {
        info(section(i)?).filter(|s| s.1 != 0 && s.1 <= value && value < s.1.saturating_add(s.3))
    })?;
    read_at(offset.checked_add(value - addr)?, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_target_is_verified_from_the_file() {
        let Ok((dir, _)) = resolve_dir(None) else {
            return; // no runtime on this machine
        };
        // The pinned runtime matches (x86-64, aarch64); a library without the symbol does not.
        assert_eq!(
            verify_log_target(&dir),
            cfg!(any(target_arch = "x86_64", target_arch = "aarch64"))
        );
        assert!(
            elf_symbol_bytes(&dir.join("libmindspore_glog.so.0"), b"common_log_init", 8).is_none()
        );
        assert!(elf_symbol_bytes(Path::new("/nonexistent"), b"common_log_init", 8).is_none());
    }
}
