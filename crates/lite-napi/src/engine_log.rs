//! Filters the runtime's own log lines (`lite::print_log`, written straight to stderr).
//!
//! The 1.13 runtime echoes every exception it throws as `LITE[ERR] … Lite exception: …` before
//! the C API turns it into an error code, and its lowest level (ERROR) cannot silence that. Every
//! such failure reaches JavaScript as a thrown `LiteError`, so the echo is noise there. This
//! module defines `lite::print_log` in the binding and makes the binding's symbols global before
//! the runtime is loaded, so the runtime's calls (made through its PLT) land here first:
//! - lines below the current level are dropped, and `OFF` (4) drops all;
//! - the exception echo is dropped unless the level is DEBUG;
//! - everything else is passed, untouched, to the runtime's own `print_log`.
//!
//! The entry point is a register-preserving trampoline (the function is variadic, which stable
//! Rust cannot define): it asks [`decide`] with the first three arguments, restores every
//! argument register and then either returns or jumps to the original. Only x86-64 Linux has
//! the trampoline; elsewhere [`install`] does nothing and the runtime logs as it always did.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// Our level: 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR (the runtime's levels), 4 OFF.
static LEVEL: AtomicI32 = AtomicI32::new(3);
/// Address of the runtime's own `lite::print_log` (0 until the runtime is loaded).
static ORIGINAL: AtomicUsize = AtomicUsize::new(0);

/// The runtime's mangled name of `void lite::print_log(LiteLogLevel, const char*, ...)`.
const PRINT_LOG: &[u8] = b"_ZN4lite9print_logE12LiteLogLevelPKcz\0";
/// The level at which the runtime echoes exceptions, and the echo's format and prefix.
const ERROR: i32 = 3;
const ECHO_FORMAT: &[u8] = b"%s.";
const ECHO_PREFIX: &[u8] = b"Lite exception: ";

/// Sets our level (0..=4; the caller validated it).
pub fn set_level(level: i32) {
    LEVEL.store(level, Ordering::Relaxed);
}

/// Our level (0..=4).
pub fn level() -> i32 {
    LEVEL.load(Ordering::Relaxed)
}

/// Whether a line at `level` with format `fmt` and first argument `arg0` should be printed.
///
/// # Safety
/// `fmt` is null or a NUL-terminated string; when `fmt` is `"%s."`, `arg0` is null or a
/// NUL-terminated string (that is what the format says the caller passed).
unsafe fn wanted(level: i32, fmt: *const std::ffi::c_char, arg0: *const std::ffi::c_char) -> bool {
    let threshold = LEVEL.load(Ordering::Relaxed);
    if level < threshold || fmt.is_null() {
        return false;
    }
    if threshold > 0 && level == ERROR {
        // SAFETY: `fmt` is a non-null NUL-terminated string (contract above).
        let f = unsafe { std::ffi::CStr::from_ptr(fmt) };
        if f.to_bytes() == ECHO_FORMAT && !arg0.is_null() {
            // SAFETY: with this format the first argument is a NUL-terminated string.
            let a = unsafe { std::ffi::CStr::from_ptr(arg0) };
            if a.to_bytes().starts_with(ECHO_PREFIX) {
                return false;
            }
        }
    }
    true
}

/// Called by the trampoline: the original's address to continue with, or 0 to drop the line.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" fn decide(
    level: std::ffi::c_int,
    fmt: *const std::ffi::c_char,
    arg0: *const std::ffi::c_char,
) -> usize {
    // SAFETY: the runtime calls print_log with a printf format and matching arguments.
    if unsafe { wanted(level, fmt, arg0) } {
        ORIGINAL.load(Ordering::Acquire)
    } else {
        0
    }
}

/// `lite::print_log`, as seen by the runtime once [`install`] ran.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[unsafe(naked)]
#[unsafe(export_name = "_ZN4lite9print_logE12LiteLogLevelPKcz")]
extern "C" fn print_log_trampoline() {
    // Saves every register that can carry an argument of a variadic call (rdi, rsi, rdx, rcx,
    // r8, r9, rax = number of vector registers used, xmm0-7), keeps the stack 16-byte aligned
    // for the call, restores them all, then returns or tail-jumps to the original so that it
    // sees exactly the arguments the runtime passed (stack arguments are never touched).
    std::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rdi",
        "push rsi",
        "push rdx",
        "push rcx",
        "push r8",
        "push r9",
        "push rax",
        "push rax",
        "sub rsp, 128",
        "movdqu [rsp], xmm0",
        "movdqu [rsp + 16], xmm1",
        "movdqu [rsp + 32], xmm2",
        "movdqu [rsp + 48], xmm3",
        "movdqu [rsp + 64], xmm4",
        "movdqu [rsp + 80], xmm5",
        "movdqu [rsp + 96], xmm6",
        "movdqu [rsp + 112], xmm7",
        "call {decide}",
        "mov r11, rax",
        "movdqu xmm0, [rsp]",
        "movdqu xmm1, [rsp + 16]",
        "movdqu xmm2, [rsp + 32]",
        "movdqu xmm3, [rsp + 48]",
        "movdqu xmm4, [rsp + 64]",
        "movdqu xmm5, [rsp + 80]",
        "movdqu xmm6, [rsp + 96]",
        "movdqu xmm7, [rsp + 112]",
        "add rsp, 128",
        "pop rax",
        "pop rax",
        "pop r9",
        "pop r8",
        "pop rcx",
        "pop rdx",
        "pop rsi",
        "pop rdi",
        "pop rbp",
        "test r11, r11",
        "jz 2f",
        "jmp r11",
        "2:",
        "ret",
        decide = sym decide,
    );
}

/// Makes the binding's `lite::print_log` visible to libraries loaded later (the runtime).
/// Call before the runtime is loaded; idempotent; failures leave logging as it was.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn install() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
        // SAFETY: dladdr only reads the address and fills `info`.
        let found = unsafe {
            libc::dladdr(
                print_log_trampoline as *const std::ffi::c_void,
                info.as_mut_ptr(),
            )
        };
        if found == 0 {
            return;
        }
        // SAFETY: dladdr succeeded, so `info` is initialised; dli_fname is the path of this
        // already-loaded binding, so RTLD_NOLOAD re-opens it (raising its flags to GLOBAL)
        // without loading anything. The handle is kept: the binding is never unloaded anyway.
        unsafe {
            let info = info.assume_init();
            if !info.dli_fname.is_null() {
                libc::dlopen(
                    info.dli_fname,
                    libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_GLOBAL,
                );
            }
        }
    });
}

/// No trampoline on this platform: the runtime logs as it always did.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn install() {}

/// Records the runtime's own `print_log` (call once the runtime is loaded).
pub fn runtime_loaded() {
    if let Some(addr) = lite::runtime_symbol_address(PRINT_LOG) {
        ORIGINAL.store(addr, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    #[test]
    fn drops_the_exception_echo_and_lines_below_the_level() {
        let fmt = CString::new("%s.").unwrap();
        let echo = CString::new("Lite exception: Error: invalid model format").unwrap();
        let other = CString::new("something else").unwrap();
        // SAFETY: valid C strings matching the "%s." format.
        unsafe {
            set_level(3);
            assert!(!wanted(3, fmt.as_ptr(), echo.as_ptr()));
            assert!(wanted(3, fmt.as_ptr(), other.as_ptr()));
            assert!(!wanted(2, fmt.as_ptr(), other.as_ptr()));
            set_level(0);
            assert!(wanted(3, fmt.as_ptr(), echo.as_ptr()));
            set_level(4);
            assert!(!wanted(3, fmt.as_ptr(), other.as_ptr()));
            set_level(3);
        }
    }
}
