//! Filters the runtime's own log lines (`lite::print_log`, written straight to stderr).
//!
//! The 1.13 runtime echoes every exception it throws as `LITE[ERR] … Lite exception: …` before
//! the C API turns it into an error code, and its lowest level (ERROR) cannot silence that. Every
//! such failure reaches JavaScript as a thrown `LiteError`, so the echo is noise there. This
//! module defines `lite::print_log` in the binding and makes the binding's symbols global before
//! the runtime is loaded, so the runtime's calls (made through its PLT) land here first:
//! - lines below the current level are dropped, and `OFF` (4) drops all;
//! - the exception echo is dropped unless the level is DEBUG;
//! - with a JS handler set ([`set_handler`]), the remaining lines are formatted here and handed
//!   to it instead of stderr;
//! - everything else is passed, untouched, to the runtime's own `print_log`.
//!
//! The entry point is a register-preserving trampoline (the function is variadic, which stable
//! Rust cannot define): it saves the argument registers as a System V register save area, asks
//! [`decide`] (which can format the line from there with `vsnprintf`, as a variadic function
//! would), restores every argument register and then either returns or jumps to the original.
//! Only x86-64 Linux has the trampoline; elsewhere [`install`] does nothing and the runtime
//! logs as it always did.

use napi::bindgen_prelude::{FnArgs, Status};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Mutex;

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

/// The JS log handler, when one is set: gets `(level, line)`; weak (never keeps the process
/// alive) and called non-blocking, so engine threads never wait for JS.
type Handler = ThreadsafeFunction<(i32, String), (), FnArgs<(i32, String)>, Status, false, true>;
static HANDLER: Mutex<Option<Handler>> = Mutex::new(None);

/// Routes the lines that pass the level to `handler` instead of stderr (`None`: stderr again).
pub fn set_handler(handler: Option<Handler>) {
    *HANDLER.lock().unwrap_or_else(|p| p.into_inner()) = handler;
}

/// Longest line handed to the JS handler (longer ones are cut).
const MAX_LINE: usize = 4096;

/// The x86-64 System V `va_list` element: what a variadic function's prologue builds.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[repr(C)]
struct VaListTag {
    gp_offset: u32,
    fp_offset: u32,
    overflow_arg_area: *mut u8,
    reg_save_area: *mut u8,
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe extern "C" {
    fn vsnprintf(
        s: *mut std::ffi::c_char,
        n: usize,
        format: *const std::ffi::c_char,
        ap: *mut VaListTag,
    ) -> std::ffi::c_int;
}

/// Called by the trampoline with the argument registers saved in the System V register save
/// area layout (`regs`: rdi, rsi, rdx, rcx, r8, r9, then xmm0-7) and the caller's stack
/// arguments (`stack`). Returns the original's address to continue with, or 0 when the line is
/// dropped or was handed to the JS handler.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" fn decide(
    level: std::ffi::c_int,
    fmt: *const std::ffi::c_char,
    regs: *mut u8,
    stack: *mut u8,
) -> usize {
    // SAFETY: `regs` is the trampoline's 176-byte save area; slot 2 holds rdx, the first
    // variadic argument (only read as a string when the format says it is one).
    let arg0 = unsafe { *(regs.add(16) as *const *const std::ffi::c_char) };
    // SAFETY: the runtime calls print_log with a printf format and matching arguments.
    if !unsafe { wanted(level, fmt, arg0) } {
        return 0;
    }
    let handler = HANDLER.lock().unwrap_or_else(|p| p.into_inner());
    let Some(h) = handler.as_ref() else {
        return ORIGINAL.load(Ordering::Acquire);
    };
    // The two named arguments (level, fmt) used rdi and rsi; the variadic ones continue
    // from rdx (gp_offset 16), xmm0 (fp_offset 48) and then the caller's stack.
    let mut ap = VaListTag {
        gp_offset: 16,
        fp_offset: 48,
        overflow_arg_area: stack,
        reg_save_area: regs,
    };
    let mut buf = vec![0u8; MAX_LINE];
    // SAFETY: `fmt` is the runtime's printf format and `ap` describes exactly the arguments
    // the runtime passed (saved registers + stack), as a variadic prologue would; vsnprintf
    // writes at most MAX_LINE bytes including the NUL.
    let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), MAX_LINE, fmt, &mut ap) };
    if n < 0 {
        return 0;
    }
    let len = (n as usize).min(MAX_LINE - 1);
    let line = String::from_utf8_lossy(&buf[..len]).into_owned();
    h.call((level, line), ThreadsafeFunctionCallMode::NonBlocking);
    0
}

/// `lite::print_log`, as seen by the runtime once [`install`] ran.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[unsafe(naked)]
#[unsafe(export_name = "_ZN4lite9print_logE12LiteLogLevelPKcz")]
extern "C" fn print_log_trampoline() {
    // Saves every register that can carry an argument of a variadic call in the System V
    // register save area layout (rdi, rsi, rdx, rcx, r8, r9, xmm0-7; plus rax = number of
    // vector registers used), keeps the stack 16-byte aligned for the call, restores them all,
    // then returns or tail-jumps to the original so that it sees exactly the arguments the
    // runtime passed (stack arguments are never touched).
    std::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, 192",
        "mov [rsp], rdi",
        "mov [rsp + 8], rsi",
        "mov [rsp + 16], rdx",
        "mov [rsp + 24], rcx",
        "mov [rsp + 32], r8",
        "mov [rsp + 40], r9",
        "movdqu [rsp + 48], xmm0",
        "movdqu [rsp + 64], xmm1",
        "movdqu [rsp + 80], xmm2",
        "movdqu [rsp + 96], xmm3",
        "movdqu [rsp + 112], xmm4",
        "movdqu [rsp + 128], xmm5",
        "movdqu [rsp + 144], xmm6",
        "movdqu [rsp + 160], xmm7",
        "mov [rsp + 176], rax",
        // decide(level = edi, fmt = rsi, regs = rsp, stack = the caller's stack arguments)
        "mov rdx, rsp",
        "lea rcx, [rbp + 16]",
        "call {decide}",
        "mov r11, rax",
        "mov rdi, [rsp]",
        "mov rsi, [rsp + 8]",
        "mov rdx, [rsp + 16]",
        "mov rcx, [rsp + 24]",
        "mov r8, [rsp + 32]",
        "mov r9, [rsp + 40]",
        "movdqu xmm0, [rsp + 48]",
        "movdqu xmm1, [rsp + 64]",
        "movdqu xmm2, [rsp + 80]",
        "movdqu xmm3, [rsp + 96]",
        "movdqu xmm4, [rsp + 112]",
        "movdqu xmm5, [rsp + 128]",
        "movdqu xmm6, [rsp + 144]",
        "movdqu xmm7, [rsp + 160]",
        "mov rax, [rsp + 176]",
        "mov rsp, rbp",
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
